// Mostly data: where a desktop runs code or types for the user — scripting, terminals, launchers, input.
import type { CuratedInterface } from './curated.js';
import { members as m } from './curated.js';

/**
 * Interfaces that execute code or inject input, curated from their XML and adaptors (plasma-
 * workspace, kwin, konsole, yakuake, gnome-terminal, guake, terminator, xfce4-terminal,
 * mate-terminal, cinnamon, kglobalaccel, glib's GApplication, xdg-desktop-portal, dconf, xfconf).
 * Terminal emulators are a family by bus name too (families.ts): a terminal that no entry here
 * names is refused whatever interface it is reached on, but for reads.
 */

const TERMINAL = 'arbitrary code execution (a terminal emulator runs what it is sent)';
const INPUT = 'input injection (types and clicks as the user: arbitrary code execution)';

export const EXEC_INTERFACES: CuratedInterface[] = [
  {
    name: 'org.kde.PlasmaShell',
    methods: {
      ...m('read', 'color immutable dumpCurrentLayoutJS wallpaper'),
      ...m(
        'desktop_action',
        'toggleDashboard toggleActivityManager toggleWidgetExplorer setDashboardShown activateLauncherMenu',
      ),
      ...m('call', 'setWallpaper loadLookAndFeelDefaultLayout grabContainmentImage'),
      ...m(
        'forbidden',
        'evaluateScript changeShell loadScriptInInteractiveConsole showInteractiveConsole showInteractiveKWinConsole',
      ),
    },
    forbiddenReason: 'arbitrary code execution (Plasma shell scripting)',
    unknown: 'mutating',
  },
  {
    name: 'org.kde.kwin.Scripting',
    methods: { ...m('read', 'isScriptLoaded'), ...m('call', 'unloadScript') },
    forbiddenReason: 'arbitrary code execution (KWin scripts)',
    unknown: 'forbidden',
  },
  {
    name: 'org.kde.kwin.Script',
    methods: m('call', 'stop'),
    forbiddenReason: 'arbitrary code execution (KWin scripts)',
    unknown: 'forbidden',
  },
  {
    name: 'org.Cinnamon',
    methods: {
      ...m('read', 'GetRunningXletUUIDs GetMonitors GetMonitorWorkRect GetRunState GetInputSources'),
      ...m(
        'desktop_action',
        'ShowOSD ShowExpo ShowOverview ShowMonitorLabels HideMonitorLabels switchWorkspaceRight switchWorkspaceLeft ' +
          'switchWorkspaceUp switchWorkspaceDown',
      ),
      ...m('forbidden', 'Eval PushSubprocessResult ShowEndSessionDialog induceSegfault leakMemory'),
    },
    forbiddenReason: 'arbitrary code execution (Cinnamon Eval) or ending the session',
    unknown: 'mutating',
  },
  {
    name: 'org.Cinnamon.LookingGlass',
    methods: m('read', 'GetResults GetErrorStack GetMemoryInfo GetLatestWindowList GetExtensionList Inspect'),
    forbiddenReason: 'arbitrary code execution (Cinnamon Looking Glass)',
    unknown: 'forbidden',
  },
  {
    name: 'org.cinnamon.SettingsDaemon.KeybindingHandler',
    methods: {},
    forbiddenReason: 'input injection (a keybinding can log out, power off or open a terminal)',
    unknown: 'forbidden',
  },
  {
    // invokeShortcut presses any global shortcut: "Log Out Without Confirmation", "Run Command"…
    name: 'org.kde.kglobalaccel.Component',
    methods: {
      ...m('read', 'isActive shortcutNames allShortcutInfos getShortcutContexts'),
      ...m('call', 'cleanUp'),
    },
    forbiddenReason: 'input injection (invokes a global shortcut as if the user pressed it)',
    unknown: 'forbidden',
  },
  {
    // Gala's PerformAction runs the window manager's actions, the user's custom command among them.
    name: 'org.pantheon.gala',
    methods: {},
    forbiddenReason: 'input injection (performs a shortcut action, a custom command among them)',
    unknown: 'read-or-forbidden',
  },
  {
    name: 'org.kde.KLauncher',
    methods: {},
    forbiddenReason: 'launcher (runs programs)',
    unknown: 'forbidden',
  },
  {
    name: 'org.kde.krunner1',
    methods: { ...m('read', 'Match Actions Config'), ...m('call', 'Teardown SetActivationToken') },
    forbiddenReason: 'launcher (KRunner runs commands)',
    unknown: 'forbidden',
  },
  {
    name: 'org.kde.krunner.App',
    methods: m(
      'desktop_action',
      'display toggleDisplay query displaySingleRunner querySingleRunner displayWithClipboardContents',
    ),
    forbiddenReason: 'launcher (KRunner runs commands)',
    unknown: 'forbidden',
  },
  {
    name: 'org.freedesktop.portal.DynamicLauncher',
    methods: m('read', 'GetDesktopEntry GetIcon'),
    forbiddenReason: 'launcher (installs and runs programs)',
    unknown: 'forbidden',
  },
  {
    name: 'org.freedesktop.portal.RemoteDesktop',
    methods: {},
    forbiddenReason: INPUT,
    unknown: 'forbidden',
  },
  {
    // Input capture hands the caller the user's keystrokes and pointer: eavesdropping on input.
    name: 'org.freedesktop.portal.InputCapture',
    methods: {},
    forbiddenReason: 'input capture (receives what the user types)',
    unknown: 'forbidden',
  },
  {
    name: 'org.freedesktop.Application',
    methods: { ...m('desktop_action', 'Activate Open'), ...m('call', 'ActivateAction') },
    unknown: 'mutating',
  },
  {
    // GApplication's own interface: CommandLine hands the primary instance any argv (`-e`, `-x`, `--`).
    name: 'org.gtk.Application',
    methods: { ...m('desktop_action', 'Activate Open'), ...m('forbidden', 'CommandLine') },
    forbiddenReason: 'arbitrary code execution (a GApplication command line runs programs: -e, -x, --)',
    unknown: 'mutating',
  },
  {
    name: 'org.gtk.Actions',
    methods: { ...m('read', 'List Describe DescribeAll'), ...m('call', 'Activate SetState') },
    unknown: 'mutating',
  },
  {
    // dconf's writer takes an opaque change set: custom keybinding commands, a terminal profile's
    // custom-command, autostart settings are all keys it writes.
    name: 'ca.desrt.dconf.Writer',
    methods: {},
    forbiddenReason:
      'arbitrary code execution (dconf writes settings that bind commands to keys and terminals)',
    unknown: 'forbidden',
  },
  {
    name: 'org.xfce.Xfconf',
    methods: {
      ...m('read', 'GetProperty GetAllProperties PropertyExists IsPropertyLocked ListChannels'),
      ...m('call', 'SetProperty ResetProperty'),
    },
    unknown: 'mutating',
  },
  {
    // gvfs mounts: Push copies a local file to the mount (an SFTP or SMB server: exfiltration),
    // Pull writes a file from it anywhere local (autostart entries, shell profiles).
    name: 'org.gtk.vfs.Mount',
    methods: m('forbidden', 'Push Pull'),
    forbiddenReason:
      'secret retrieval by exfiltration or code execution (gvfs copies between local files and the mount)',
    unknown: 'mutating',
  },
  // Terminal emulators.
  {
    name: 'org.kde.konsole*',
    terminal: true,
    methods: {
      ...m(
        'read',
        'sessionCount sessionList currentSession defaultProfile profileList title profile processId ' +
          'foregroundProcessId tabTitleFormat tabColor codec historySize isMonitorActivity isMonitorSilence ' +
          'isMonitorPrompt flowControlEnabled viewHierarchy getSplitProportions shellSessionId copyingSessions ' +
          'feederSessions badgeText badgeColor badgeEnabled badgeFontFamily badgeFontSize badgeTextOnly ' +
          'badgeTransparency',
      ),
      ...m(
        'call',
        'newSession nextSession prevSession moveSessionLeft moveSessionRight setCurrentSession setTitle ' +
          'setTabTitleFormat setTabColor setHistorySize setMonitorActivity setMonitorSilence setMonitorPrompt ' +
          'setMonitorSilenceSeconds setCodec setProfile setFlowControlEnabled setDefaultProfile createSplit ' +
          'createSplitWithExisting setCurrentView resizeSplits moveSplitter moveView setBadgeText setBadgeColor ' +
          'setBadgeEnabled setBadgeFontFamily setBadgeFontSize setBadgeTextOnly setBadgeTransparency ' +
          'setTabWidthToText copyInputToNone saveLayoutFile loadLayout ' +
          // What is on screen and in the environment can hold secrets: not a plain read.
          'getAllDisplayedText getDisplayedText getAllDisplayedTextList getDisplayedTextList environment',
      ),
      ...m(
        'forbidden',
        'sendText runCommand sendMouseEvent setEnvironment copyInputToAllSessions copyInputToSessions loadLayoutFile',
      ),
    },
    forbiddenReason: TERMINAL,
    unknown: 'read-or-forbidden',
  },
  {
    name: 'org.kde.yakuake',
    terminal: true,
    methods: {
      ...m(
        'call',
        'addSession addSessionQuad addSessionTwoHorizontal addSessionTwoVertical raiseSession removeSession ' +
          'removeTerminal setSessionClosable setSessionKeyboardInputEnabled setSessionMonitorActivityEnabled ' +
          'setSessionMonitorSilenceEnabled setTabTitle setTerminalKeyboardInputEnabled ' +
          'setTerminalMonitorActivityEnabled setTerminalMonitorSilenceEnabled splitSessionAuto ' +
          'splitSessionLeftRight splitSessionTopBottom splitTerminalLeftRight splitTerminalTopBottom ' +
          'toggleWindowState tryGrowTerminalBottom tryGrowTerminalLeft tryGrowTerminalRight tryGrowTerminalTop',
      ),
      ...m('forbidden', 'runCommand runCommandInTerminal'),
    },
    forbiddenReason: TERMINAL,
    unknown: 'read-or-forbidden',
  },
  {
    name: 'org.gnome.Terminal.Factory0',
    terminal: true,
    methods: m('call', 'CreateInstance'),
    forbiddenReason: TERMINAL,
    unknown: 'forbidden',
  },
  {
    // A profile's custom-command runs in every new terminal: writing settings is writing code.
    name: 'org.gnome.Terminal.SettingsBridge',
    terminal: true,
    methods: {
      ...m('read', 'get_permission get_writable read read_user_value'),
      ...m('call', 'subscribe unsubscribe sync'),
      ...m('forbidden', 'write write_tree reset'),
    },
    forbiddenReason: TERMINAL,
    unknown: 'forbidden',
  },
  {
    name: 'org.gnome.Terminal*',
    terminal: true,
    methods: {},
    forbiddenReason: TERMINAL,
    unknown: 'forbidden',
  },
  {
    name: 'org.guake3.RemoteControl',
    terminal: true,
    methods: {
      ...m(
        'read',
        'get_visibility get_selected_tab get_selected_tablabel get_tab_count get_selected_terminal get_term_count ' +
          'get_tab_name get_gtktab_name get_selected_uuidtab get_index_from_uuid',
      ),
      ...m(
        'call',
        'show_hide show show_from_remote hide hide_from_remote fullscreen unfullscreen add_tab close_tab select_tab ' +
          'select_terminal set_bgcolor set_fgcolor set_bgcolor_current_terminal set_fgcolor_current_terminal ' +
          'change_palette_name reset_colors reset_colors_current rename_tab_uuid rename_tab rename_current_tab ' +
          'show_about show_prefs quit v_split_current_terminal h_split_current_terminal',
      ),
      ...m(
        'forbidden',
        'execute_command execute_command_by_uuid v_split_current_terminal_with_command h_split_current_terminal_with_command',
      ),
    },
    forbiddenReason: TERMINAL,
    unknown: 'read-or-forbidden',
  },
  {
    // hsplit/vsplit take an `execute` option, new_*_cmdline a command line.
    name: 'net.tenshu.Terminator*',
    terminal: true,
    methods: {
      ...m('read', 'get_terminals get_focused_terminal get_window get_window_title get_tab get_tab_title'),
      ...m(
        'call',
        'set_tab_title switch_profile switch_profile_all bg_img_all bg_img toggle_visibility_cmdline unhide_cmdline',
      ),
      ...m(
        'forbidden',
        'new_window_cmdline new_tab_cmdline new_window new_tab hsplit vsplit reload_configuration',
      ),
    },
    forbiddenReason: TERMINAL,
    unknown: 'read-or-forbidden',
  },
  {
    name: 'org.xfce.Terminal*',
    terminal: true,
    methods: {},
    forbiddenReason: TERMINAL,
    unknown: 'forbidden',
  },
  {
    name: 'org.mate.Terminal*',
    terminal: true,
    methods: {},
    forbiddenReason: TERMINAL,
    unknown: 'forbidden',
  },
  {
    name: 'org.lxqt.QTerminal*',
    terminal: true,
    methods: {},
    forbiddenReason: TERMINAL,
    unknown: 'read-or-forbidden',
  },
];
