import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import type { WorkerDeps } from '../deps.js';
import type { ToolMap } from '../mcp/tool-descriptions.js';
import { registerCallMethod } from './call-method.js';
import { registerCaptureActiveWindow } from './capture-active-window.js';
import { registerCaptureScreen } from './capture-screen.js';
import { registerClipboardRead } from './clipboard-read.js';
import { registerClipboardWrite } from './clipboard-write.js';
import { registerDiscover } from './discover.js';
import { registerExplainPolicy } from './explain-policy.js';
import { registerGetAllProperties } from './get-all-properties.js';
import { registerGetProperty } from './get-property.js';
import { registerIntrospect } from './introspect.js';
import { registerListObjects } from './list-objects.js';
import { registerListScreenshotFiles } from './list-screenshot-files.js';
import { registerListServices } from './list-services.js';
import { registerListUnits } from './list-units.js';
import { registerManageUnit } from './manage-unit.js';
import { registerMediaControl } from './media-control.js';
import { registerNotify } from './notify.js';
import { registerReadSignals } from './read-signals.js';
import { registerSetProperty } from './set-property.js';
import { registerShowHelp } from './show-help.js';
import { registerStatus } from './status.js';
import { registerSubscribeSignals } from './subscribe-signals.js';
import { registerUnitStatus } from './unit-status.js';
import { registerUnsubscribeSignals } from './unsubscribe-signals.js';

/**
 * Registers every tool, in the order clients list them, and returns the SDK's handle of each by
 * name (the runtime rewrites descriptions on a level change through them; show_help lists them).
 */
export function registerTools(server: McpServer, deps: WorkerDeps): ToolMap {
  const tools: Record<string, RegisteredTool> = {};
  const add = (name: string, tool: RegisteredTool) => (tools[name] = tool);
  add('list_services', registerListServices(server, deps));
  add('introspect', registerIntrospect(server, deps));
  add('list_objects', registerListObjects(server, deps));
  add('get_property', registerGetProperty(server, deps));
  add('get_all_properties', registerGetAllProperties(server, deps));
  add('set_property', registerSetProperty(server, deps));
  add('call_method', registerCallMethod(server, deps));
  add('discover', registerDiscover(server, deps));
  add('subscribe_signals', registerSubscribeSignals(server, deps));
  add('read_signals', registerReadSignals(server, deps));
  add('unsubscribe_signals', registerUnsubscribeSignals(server, deps));
  add('notify', registerNotify(server, deps));
  add('clipboard_read', registerClipboardRead(server, deps));
  add('clipboard_write', registerClipboardWrite(server, deps));
  add('capture_screen', registerCaptureScreen(server, deps));
  add('capture_active_window', registerCaptureActiveWindow(server, deps));
  add('list_screenshot_files', registerListScreenshotFiles(server, deps));
  add('media_control', registerMediaControl(server, deps));
  add('status', registerStatus(server, deps));
  add('list_units', registerListUnits(server, deps));
  add('unit_status', registerUnitStatus(server, deps));
  add('manage_unit', registerManageUnit(server, deps));
  add('explain_policy', registerExplainPolicy(server, deps));
  add(
    'show_help',
    registerShowHelp(server, deps, () => tools),
  );
  return tools;
}
