import type { RegisteredTool } from '@modelcontextprotocol/server';
import type { SafetyLevel } from '../../shared/config.js';
import { LEVEL_SUMMARIES } from '../policy/index.js';

/** The tools of one server by name, as registerTools returned them (the SDK's own handles). */
export type ToolMap = Readonly<Record<string, RegisteredTool>>;

/**
 * Appends the current level's limits to the description of every tool that can change
 * something, so a configuration reload that changes the level changes what tools/list says
 * (RegisteredTool.update sends notifications/tools/list_changed).
 */
export function describeLevelOnTools(tools: ToolMap, level: SafetyLevel, base: Map<string, string>): void {
  for (const [name, tool] of Object.entries(tools)) {
    if (tool.annotations?.readOnlyHint === true) continue;
    if (!base.has(name)) base.set(name, tool.description ?? '');
    const description = `${base.get(name)}\n\nCurrent safety level: ${level}. ${LEVEL_SUMMARIES[level]}`;
    if (tool.description !== description) tool.update({ description });
  }
}
