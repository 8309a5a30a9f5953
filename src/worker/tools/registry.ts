import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import type { SafetyLevel } from '../../shared/config.js';
import { LEVEL_SUMMARIES } from '../policy/index.js';

/**
 * The tools registered on a server. The SDK has no public enumerator; its `_registeredTools`
 * map is the one place that knows, so this is the only code that reaches into it.
 */
export function registeredTools(server: McpServer): Record<string, RegisteredTool> {
  return (server as unknown as { _registeredTools: Record<string, RegisteredTool> })._registeredTools;
}

/**
 * Appends the current level's limits to the description of every tool that can change
 * something, so a configuration reload that changes the level changes what tools/list says
 * (RegisteredTool.update sends notifications/tools/list_changed).
 */
export function describeLevelOnTools(server: McpServer, level: SafetyLevel, base: Map<string, string>): void {
  for (const [name, tool] of Object.entries(registeredTools(server))) {
    if (tool.annotations?.readOnlyHint === true) continue;
    if (!base.has(name)) base.set(name, tool.description ?? '');
    const description = `${base.get(name)}\n\nCurrent safety level: ${level}. ${LEVEL_SUMMARIES[level]}`;
    if (tool.description !== description) tool.update({ description });
  }
}
