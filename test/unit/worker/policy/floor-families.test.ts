/**
 * Issue 12 §4: the floor's categories by pattern and by family. The inventory below is what an
 * attacker finds on real desktops (interface XML and adaptors of gnome-session, cinnamon-session,
 * mate-session-manager, xfce4-session, ksmserver, lxqt-session, powerdevil, plasma-workspace,
 * kwin, konsole, yakuake, gnome-terminal, tilix, terminator, guake, xfce4-terminal, mate-terminal,
 * cinnamon, budgie, kglobalaccel, kwallet, gnome-online-accounts, gnome-shell, mutter,
 * xdg-desktop-portal, NetworkManager, BlueZ, polkit, gcr, ConsoleKit2, glib's GApplication,
 * dconf, xfconf), plus spellings and names no desktop uses but an agent may try. Every row is
 * refused at every level whatever the operator rules say; reads that must stay reads are below.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClassifyInput } from '../../../../src/worker/policy/classify.js';
import { classify, heuristicRead } from '../../../../src/worker/policy/classify.js';
import { memberFloor } from '../../../../src/worker/policy/floor.js';

type Row = [iface: string, member: string, names?: string[], args?: unknown[]];

function judge(iface: string, member: string, extra: Partial<ClassifyInput> = {}) {
  return classify({
    bus: 'session',
    names: ['com.example.Anything'],
    path: '/',
    interface: iface,
    member,
    access: 'call',
    ...extra,
  });
}

function refusesAll(title: string, rows: Row[]): void {
  describe(title, () => {
    for (const [iface, member, names, args] of rows) {
      it(`${iface}.${member}${args ? `(${JSON.stringify(args)})` : ''}${names ? ` on ${names.join(',')}` : ''}`, () => {
        for (const bus of ['session', 'system'] as const) {
          const c = judge(iface, member, { bus, ...(names ? { names } : {}), ...(args ? { args } : {}) });
          assert.equal(c.kind, 'forbidden', `${bus}: ${c.reason}`);
        }
      });
    }
  });
}

const UNKNOWN = 'com.example.Unknown';

refusesAll('power: session managers of every desktop', [
  ['org.gnome.SessionManager', 'Logout'],
  ['org.gnome.SessionManager', 'Suspend'],
  ['org.gnome.SessionManager', 'SetRebootToFirmwareSetup'],
  ['org.gnome.SessionManager', 'InitializationError'],
  ['org.gnome.SessionManager', 'Setenv'],
  ['org.gnome.SessionManager', 'SomeFutureShutdownThing'],
  ['org.gnome.SessionManager.EndSessionDialog', 'Open'],
  ['org.mate.SessionManager', 'Logout'],
  ['org.mate.SessionManager', 'RequestReboot'],
  ['org.cinnamon.SessionManager', 'Shutdown'],
  ['org.cinnamon.SessionManager.EndSessionDialog', 'Restart'],
  ['org.cinnamon.SessionManager.EndSessionDialog', 'SwitchUser'],
  ['org.xfce.Session.Manager', 'Restart'],
  ['org.xfce.Session.Manager', 'Logout'],
  ['org.xfce.Session.Manager', 'HybridSleep'],
  ['org.xfce.Session.Manager', 'Frobnicate'],
  ['org.kde.KSMServerInterface', 'logout', undefined, [0, 2, 2]],
  ['org.kde.KSMServerInterface', 'closeSession'],
  ['org.kde.Shutdown', 'logoutAndReboot'],
  ['org.kde.Shutdown', 'somethingNew'],
  ['org.kde.LogoutPrompt', 'promptShutDown'],
  ['org.kde.LogoutPrompt', 'promptAll'],
  ['org.kde.KWin.Session', 'quit'],
  ['org.kde.KWin.Session', 'closeWaylandWindows'],
  ['org.kde.Solid.PowerManagement.Actions.SuspendSession', 'suspendToRam'],
  ['org.kde.Solid.PowerManagement.Actions.SuspendSession', 'suspendHybrid'],
  ['org.lxqt.session', 'powerOff'],
  ['org.lxqt.session', 'reboot'],
  ['org.lxqt.session', 'logout'],
  ['org.budgie_desktop.Session.EndSessionDialog', 'Open'],
  ['org.freedesktop.ConsoleKit.Manager', 'Stop'],
  ['org.freedesktop.ConsoleKit.Manager', 'Restart'],
  ['org.freedesktop.PowerManagement', 'Suspend'],
  ['org.freedesktop.PowerManagement', 'Hibernate'],
  ['org.freedesktop.login1.Manager', 'TerminateSession'],
  ['org.freedesktop.login1.Manager', 'KillUser'],
  ['org.freedesktop.login1.Session', 'Terminate'],
  ['org.freedesktop.login1.User', 'Kill'],
  ['com.deepin.SessionManager', 'RequestLogout'],
  ['com.deepin.SessionManager', 'ForceShutdown'],
  ['org.example.Session', 'Restart'],
  ['org.freedesktop.impl.portal.Inhibit', 'QueryEndResponse'],
]);

refusesAll('power: the words, on any interface, in any case and spelling', [
  [UNKNOWN, 'PowerOffNow'],
  [UNKNOWN, 'power_off'],
  [UNKNOWN, 'POWER_OFF'],
  [UNKNOWN, 'RebootNow'],
  [UNKNOWN, 'reboot2'],
  [UNKNOWN, 'requestShutDown'],
  [UNKNOWN, 'Shut_Down'],
  [UNKNOWN, 'shutdown'],
  [UNKNOWN, 'HaltSystem'],
  [UNKNOWN, 'suspendToRam'],
  [UNKNOWN, 'SuspendToDisk'],
  [UNKNOWN, 'hibernateNow'],
  [UNKNOWN, 'HybridSleep'],
  [UNKNOWN, 'GoToSleep'],
  [UNKNOWN, 'EnterStandby'],
  [UNKNOWN, 'KExecLoad'],
  [UNKNOWN, 'soft_reboot'],
  [UNKNOWN, 'logout'],
  [UNKNOWN, 'LogOut'],
  [UNKNOWN, 'log_out'],
  [UNKNOWN, 'LogOffUser'],
  [UNKNOWN, 'EndSession'],
  [UNKNOWN, 'end_session'],
  [UNKNOWN, 'RestartSession'],
  [UNKNOWN, 'RestartComputer'],
  [UNKNOWN, 'closeSession'],
  [UNKNOWN, 'GetAndPowerOff'],
  [UNKNOWN, 'GetPowerOff'],
  [UNKNOWN, 'QueryReboot'],
  [UNKNOWN, 'IsRebootAndReboot'],
  [UNKNOWN, 'getpoweroffnow'],
  [UNKNOWN, 'EndUserSession'],
  [UNKNOWN, 'TerminateAllSessions'],
  [UNKNOWN, 'SignOff'],
  ['com.deepin.dde.shutdownFront', 'Restart'],
  ['com.canonical.Unity.Session', 'RequestLogout'],
  ['org.lxde.SessionManager', 'Frob'],
]);

refusesAll('code execution: scripting of every desktop', [
  ['org.kde.PlasmaShell', 'evaluateScript'],
  ['org.kde.PlasmaShell', 'loadScriptInInteractiveConsole'],
  ['org.kde.PlasmaShell', 'showInteractiveKWinConsole'],
  ['org.kde.kwin.Scripting', 'loadScript'],
  ['org.kde.kwin.Scripting', 'loadDeclarativeScript'],
  ['org.kde.kwin.Scripting', 'start'],
  ['org.kde.kwin.Script', 'run'],
  ['org.kde.KWin', 'loadScriptFromFile'],
  ['org.gnome.Shell', 'Eval'],
  ['org.gnome.Shell.Extensions', 'InstallRemoteExtension'],
  ['org.Cinnamon', 'Eval'],
  ['org.Cinnamon', 'PushSubprocessResult'],
  ['org.Cinnamon.LookingGlass', 'Eval'],
  ['org.Cinnamon.LookingGlass', 'AddResult'],
  ['org.budgie_desktop.Scripting', 'EvalJS'],
  ['ca.desrt.dconf.Writer', 'Change'],
  [
    'org.xfce.Xfconf',
    'SetProperty',
    undefined,
    ['xfce4-keyboard-shortcuts', '/commands/custom/<Super>t', 'sh'],
  ],
  ['org.xfce.Xfconf', 'SetProperty', undefined, ['thunar-volman', '/autorun/enabled', true]],
  ['org.kde.Startup', 'updateLaunchEnv'],
  ['org.kde.KLauncher', 'kdeinit_exec'],
  ['org.kde.KLauncher', 'setLaunchEnv'],
  ['org.freedesktop.systemd1.Manager', 'SetEnvironment'],
]);

refusesAll('code execution: terminal emulators', [
  ['org.kde.konsole.Session', 'runCommand'],
  ['org.kde.konsole.Session', 'sendText'],
  ['org.kde.konsole.Session', 'setEnvironment'],
  ['org.kde.konsole.Window', 'copyInputToAllSessions'],
  ['org.kde.konsole.Window', 'somethingNew'],
  ['org.kde.yakuake', 'runCommandInTerminal'],
  ['org.kde.yakuake', 'runCommand'],
  ['org.gnome.Terminal.Terminal0', 'Exec'],
  ['org.gnome.Terminal.SettingsBridge', 'write'],
  ['org.gnome.Terminal.Factory0', 'Something'],
  ['net.tenshu.Terminator2', 'new_tab_cmdline'],
  ['net.tenshu.Terminator2', 'new_window_cmdline'],
  ['net.tenshu.Terminator2', 'hsplit', undefined, ['uuid', { execute: 'sh' }]],
  ['org.guake3.RemoteControl', 'execute_command'],
  ['org.guake3.RemoteControl', 'v_split_current_terminal_with_command'],
  ['org.xfce.Terminal5', 'Launch'],
  ['org.mate.Terminal.Factory', 'HandleArguments'],
  ['org.gtk.Application', 'CommandLine', ['com.gexperts.Tilix']],
  ['org.gtk.Application', 'CommandLine', ['org.gnome.TextEditor']],
  ['org.gtk.Actions', 'Activate', ['com.gexperts.Tilix'], ['command', [], {}]],
  ['org.gtk.Actions', 'Activate', ['com.gexperts.Tilix'], ['new-session', [], {}]],
  ['org.freedesktop.Application', 'ActivateAction', ['com.gexperts.Tilix'], ['new-window', [], {}]],
  ['org.freedesktop.Application', 'Activate', ['org.gnome.Console'], [{}]],
  ['org.freedesktop.Application', 'Open', ['org.gnome.Ptyxis'], [[], {}]],
  ['org.freedesktop.Application', 'ActivateAction', ['org.example.App'], ['run-command', [], {}]],
  ['org.gtk.Actions', 'Activate', ['org.example.App'], ['app.exec', [], {}]],
  ['org.freedesktop.Application', 'ActivateAction', ['org.example.App'], []],
  [
    'org.freedesktop.Application',
    'ActivateAction',
    ['org.gnome.Software'],
    ['install', ['org.example.App', 0], {}],
  ],
  [UNKNOWN, 'Frob', ['net.kovidgoyal.kitty']],
  [UNKNOWN, 'Frob', ['org.kde.konsole-12345']],
  [UNKNOWN, 'Frob', ['io.elementary.terminal']],
]);

refusesAll('code execution: launchers and the name patterns', [
  ['org.kde.krunner1', 'Run'],
  ['org.kde.krunner1', 'RunMatch'],
  ['org.freedesktop.portal.DynamicLauncher', 'Install'],
  ['org.freedesktop.portal.DynamicLauncher', 'Launch'],
  [
    'org.freedesktop.portal.Background',
    'RequestBackground',
    undefined,
    ['', { commandline: ['sh', '-c', 'x'] }],
  ],
  ['org.freedesktop.portal.Background', 'RequestBackground', undefined, ['', { autostart: true }]],
  ['org.lxqt.session', 'execDesktopFile'],
  [UNKNOWN, 'ExecuteCommand'],
  [UNKNOWN, 'execute'],
  [UNKNOWN, 'exec_v'],
  [UNKNOWN, 'SpawnAsync'],
  [UNKNOWN, 'spawn_command_line'],
  [UNKNOWN, 'evaluate'],
  [UNKNOWN, 'EvalJavaScript'],
  [UNKNOWN, 'RunCommand'],
  [UNKNOWN, 'run_shell'],
  [UNKNOWN, 'RunScript'],
  [UNKNOWN, 'LaunchCommand'],
  [UNKNOWN, 'StartProgram'],
  [UNKNOWN, 'HandleCommandLine'],
  [UNKNOWN, 'SetCustomCommand'],
  [UNKNOWN, 'SetShell'],
  [UNKNOWN, 'StartTransientUnit'],
  [UNKNOWN, 'HostCommand'],
  [UNKNOWN, 'SetEnvironment'],
  [UNKNOWN, 'Setenv'],
  [UNKNOWN, 'UpdateLaunchEnvironment'],
  [UNKNOWN, 'GetAndExec'],
  [UNKNOWN, 'GetExec'],
  [UNKNOWN, 'InstallExtension'],
]);

refusesAll('input injection: remote desktops, fake input, shortcuts, accessibility', [
  ['org.freedesktop.portal.RemoteDesktop', 'NotifyKeyboardKeycode'],
  ['org.freedesktop.portal.RemoteDesktop', 'CreateSession'],
  ['org.freedesktop.portal.RemoteDesktop', 'ConnectToEIS'],
  ['org.freedesktop.impl.portal.RemoteDesktop', 'NotifyPointerMotion'],
  ['org.freedesktop.impl.portal.RemoteDesktop', 'Start'],
  ['org.gnome.Mutter.RemoteDesktop', 'CreateSession'],
  ['org.gnome.Mutter.RemoteDesktop.Session', 'NotifyKeyboardKeysym'],
  ['org.gnome.Mutter.RemoteDesktop.Session', 'NotifyPointerButton'],
  ['org.gnome.Mutter.RemoteDesktop.Session', 'Start'],
  ['org.gnome.Mutter.InputCapture.Session', 'ConnectToEIS'],
  ['org.freedesktop.portal.InputCapture', 'CreateSession'],
  ['org.gnome.RemoteDesktop.Rdp.Server', 'Enable'],
  ['org.kde.KWin.FakeInput', 'keyboardKey'],
  ['org.kde.kglobalaccel.Component', 'invokeShortcut'],
  ['org.cinnamon.SettingsDaemon.KeybindingHandler', 'HandleKeybinding'],
  ['org.a11y.atspi.DeviceEventController', 'GenerateKeyboardEvent'],
  ['org.a11y.atspi.Action', 'DoAction'],
  ['org.a11y.atspi.EditableText', 'InsertText'],
  [UNKNOWN, 'SendKeys'],
  [UNKNOWN, 'simulate_key_press'],
  [UNKNOWN, 'InjectInput'],
  [UNKNOWN, 'typeText'],
  [UNKNOWN, 'GenerateMouseEvent'],
  [UNKNOWN, 'PressButton'],
  [UNKNOWN, 'TriggerShortcut'],
  [UNKNOWN, 'RunHotkey'],
  ['org.pantheon.gala', 'PerformAction'],
  ['org.kde.kdeconnect.device.remotekeyboard', 'sendKeyPress'],
  ['org.kde.kdeconnect.device.remotecommands', 'triggerCommand'],
]);

refusesAll('portal backends: only the frontend may call them', [
  ['org.freedesktop.impl.portal.Screenshot', 'Screenshot'],
  ['org.freedesktop.impl.portal.Secret', 'RetrieveSecret'],
  ['org.freedesktop.impl.portal.Access', 'AccessDialog'],
  ['org.freedesktop.impl.portal.PermissionStore', 'SetPermission'],
  ['org.freedesktop.impl.portal.desktop.kde', 'Anything'],
]);

refusesAll('secrets: stores, brokers, agents and the name patterns', [
  ['org.kde.KWallet', 'readPassword'],
  ['org.kde.KWallet', 'readEntry'],
  ['org.kde.KWallet', 'readMap'],
  ['org.kde.KWallet', 'readPasswordList'],
  ['org.kde.KWallet', 'readEntryList'],
  ['org.kde.KWallet', 'entriesList'],
  ['org.kde.KWallet', 'passwordList'],
  ['org.kde.KWallet', 'mapList'],
  ['org.kde.KWallet', 'somethingNew'],
  ['org.gnome.OnlineAccounts.PasswordBased', 'GetPassword'],
  ['org.gnome.OnlineAccounts.OAuth2Based', 'GetAccessToken'],
  ['org.gnome.OnlineAccounts.OAuthBased', 'GetAccessToken'],
  ['org.gnome.OnlineAccounts.Ticketing', 'GetTicket'],
  ['org.gnome.Identity.Manager', 'ExchangeSecretKeys'],
  ['org.freedesktop.NetworkManager.SecretAgent', 'GetSecrets'],
  ['org.freedesktop.NetworkManager.SecretAgent', 'SaveSecrets'],
  ['org.freedesktop.PolicyKit1.AuthenticationAgent', 'BeginAuthentication'],
  ['org.bluez.Agent1', 'RequestPasskey'],
  ['org.bluez.obex.Agent1', 'AuthorizePush'],
  ['net.connman.iwd.Agent', 'RequestPassphrase'],
  ['org.gnome.keyring.internal.Prompter', 'PerformPrompt'],
  ['org.kde.secretprompter', 'UnlockCollectionPrompt'],
  ['org.Gtk.MountOperationHandler', 'AskPassword'],
  ['org.freedesktop.Secret.Service', 'GetSecrets'],
  ['org.gnome.evolution.dataserver.Source.OAuth2Support', 'GetAccessToken'],
  [UNKNOWN, 'GetPassword'],
  [UNKNOWN, 'get_password'],
  [UNKNOWN, 'GetPassWord'],
  [UNKNOWN, 'LookupPassword'],
  [UNKNOWN, 'FetchToken'],
  [UNKNOWN, 'GetRefreshToken'],
  [UNKNOWN, 'GetApiKey'],
  [UNKNOWN, 'ReadPrivateKey'],
  [UNKNOWN, 'ExportPrivateKey'],
  [UNKNOWN, 'GetCredentials'],
  [UNKNOWN, 'DumpSecrets'],
  [UNKNOWN, 'getsecretsnow'],
  [UNKNOWN, 'GetWifiPsk'],
  [UNKNOWN, 'RequestPinCode'],
  ['org.freedesktop.DBus.ObjectManager', 'GetManagedObjects', ['org.gnome.OnlineAccounts']],
]);

refusesAll('accounts: writing a password stays an account change', [
  ['org.kde.KWallet', 'writePassword'],
  ['org.kde.KWallet', 'changePassword'],
  [UNKNOWN, 'SetPassword'],
  [UNKNOWN, 'ChangePassword'],
  [UNKNOWN, 'reset_password'],
  [UNKNOWN, 'ChangeWithMasterPassword'],
  [UNKNOWN, 'CreateUser'],
  [UNKNOWN, 'SetAccountType'],
]);

refusesAll('bus administration: the driver, however addressed', [
  ['org.freedesktop.DBus', 'RequestName', ['org.freedesktop.DBus']],
  ['org.freedesktop.DBus', 'ReleaseName', ['org.freedesktop.DBus']],
  ['org.freedesktop.DBus', 'Hello', ['org.freedesktop.DBus']],
  ['org.freedesktop.DBus', 'ReloadConfig', ['org.freedesktop.DBus']],
  ['org.freedesktop.DBus', 'UpdateActivationEnvironment', ['org.freedesktop.DBus']],
  ['org.freedesktop.DBus.Monitoring', 'BecomeMonitor', ['org.freedesktop.DBus']],
  ['org.freedesktop.dbus.monitoring', 'BecomeMonitor', ['org.freedesktop.DBus']],
  ['org.freedesktop.DBus.Verbose', 'EnableVerbose', ['org.freedesktop.DBus']],
  ['org.freedesktop.DBus.Containers1', 'AddServer', ['org.freedesktop.DBus']],
  ['org.freedesktop.DBus.Monitoring', 'RequestName', ['org.freedesktop.DBus']],
  ['com.example.Wrapper', 'RequestName', ['org.freedesktop.DBus']],
  [UNKNOWN, 'BecomeMonitor'],
  [UNKNOWN, 'UpdateActivationEnvironment'],
]);

describe('reads stay reads, calls stay calls', () => {
  const reads: Row[] = [
    ['org.gnome.SessionManager', 'CanShutdown'],
    ['org.gnome.SessionManager', 'IsInhibited'],
    ['org.xfce.Session.Manager', 'CanRestart'],
    ['org.xfce.Session.Manager', 'GetState'],
    ['org.kde.KSMServerInterface', 'canShutdown'],
    ['org.kde.KSMServerInterface', 'isShuttingDown'],
    ['org.lxqt.session', 'canPowerOff'],
    ['org.freedesktop.ConsoleKit.Manager', 'CanStop'],
    ['org.freedesktop.login1.Manager', 'CanPowerOff'],
    ['com.deepin.SessionManager', 'CanShutdown'],
    [UNKNOWN, 'CanPowerOff'],
    [UNKNOWN, 'canShutdown'],
    [UNKNOWN, 'GetPowerOffTime'],
    [UNKNOWN, 'GetShutdownInhibitors'],
    [UNKNOWN, 'IsShuttingDown'],
    [UNKNOWN, 'GetCommandLine'],
    [UNKNOWN, 'ListScripts'],
    [UNKNOWN, 'GetStartTime'],
    [UNKNOWN, 'GetDeviceType'],
    ['org.kde.KWallet', 'folderList'],
    ['org.kde.KWallet', 'entryList'],
    ['org.kde.kwin.Scripting', 'isScriptLoaded'],
    ['org.gtk.Actions', 'DescribeAll', ['com.gexperts.Tilix']],
    ['org.freedesktop.DBus', 'GetConnectionCredentials', ['org.freedesktop.DBus']],
    ['org.freedesktop.DBus.ObjectManager', 'GetManagedObjects', ['org.kde.kdeconnect']],
    ['org.freedesktop.DBus.Introspectable', 'Introspect', ['org.freedesktop.DBus']],
    ['org.Cinnamon', 'GetInputSources'],
  ];
  for (const [iface, member, names] of reads) {
    it(`${iface}.${member} reads`, () => {
      assert.equal(judge(iface, member, names ? { names } : {}).kind, 'read');
    });
  }
  const calls: Row[] = [
    [UNKNOWN, 'GetResetCounters'],
    [UNKNOWN, 'ListPurgeOld'],
    [UNKNOWN, 'QueryExit'],
    [UNKNOWN, 'FindAndKill'],
    [UNKNOWN, 'GetFlushCache'],
    [UNKNOWN, 'ReadClearLog'],
    [UNKNOWN, 'SearchDestroy'],
    [UNKNOWN, 'GetOrCreate'],
    [UNKNOWN, 'ListDeleteAll'],
    [UNKNOWN, 'GetStopAll'],
    ['org.freedesktop.Secret.Service', 'CreateCollection'],
    // About a secret, not the secret: not forbidden, but not a plain read either (a word is secret-bearing).
    [UNKNOWN, 'GetPasswordExpirationPolicy'],
    [UNKNOWN, 'HasPassword'],
    ['org.kde.KWallet', 'writeEntry'],
    ['org.gtk.Actions', 'Activate', ['org.example.App'], ['preferences', [], {}]],
    ['org.freedesktop.Application', 'ActivateAction', ['org.example.App'], ['about', [], {}]],
    ['org.freedesktop.portal.Background', 'RequestBackground', undefined, ['', { reason: 'sync' }]],
    ['org.xfce.Xfconf', 'SetProperty', undefined, ['xsettings', '/Net/ThemeName', 'Adwaita']],
    ['org.kde.konsole.Session', 'getAllDisplayedText'],
    ['org.Cinnamon', 'ActivateInputSourceIndex'],
    [UNKNOWN, 'ActivateKeyboardLayout'],
    [UNKNOWN, 'CloseWindow'],
    ['org.freedesktop.DBus', 'AddMatch', ['org.freedesktop.DBus'], ["type='signal'"]],
  ];
  for (const [iface, member, names, args] of calls) {
    it(`${iface}.${member} is a call`, () => {
      const c = judge(iface, member, { ...(names ? { names } : {}), ...(args ? { args } : {}) });
      assert.equal(c.kind, 'call', c.reason);
    });
  }
  it('the read-name heuristics: an action word after a read prefix does not read', () => {
    for (const m of ['GetResetCounters', 'ListPurgeOld', 'QueryExit', 'GetKillSwitch', 'ReadAndWrite']) {
      assert.equal(heuristicRead(m), false, m);
    }
    for (const m of ['GetFoo', 'ListThings', 'GetStartTime', 'QueryStatus', 'CanReset', 'IsStopped']) {
      assert.equal(heuristicRead(m), true, m);
    }
  });
  it('the desktop calls curated for medium keep their kinds', () => {
    assert.equal(judge('org.freedesktop.Notifications', 'Notify').kind, 'notify');
    assert.equal(judge('org.freedesktop.portal.OpenURI', 'OpenURI').kind, 'desktop_action');
    assert.equal(judge('org.freedesktop.portal.Screenshot', 'Screenshot').kind, 'screenshot');
    assert.equal(judge('org.freedesktop.portal.Clipboard', 'SelectionRead').kind, 'clipboard_read');
    assert.equal(judge('org.kde.klipper.klipper', 'setClipboardContents').kind, 'clipboard_write');
    assert.equal(judge('org.mpris.MediaPlayer2.Player', 'PlayPause').kind, 'media');
    assert.equal(judge('org.gnome.Shell', 'FocusApp').kind, 'desktop_action');
    assert.equal(judge('org.freedesktop.Application', 'Activate', { args: [{}] }).kind, 'desktop_action');
    assert.equal(judge('org.kde.krunner.App', 'query', { args: ['x'] }).kind, 'desktop_action');
    assert.equal(judge('org.freedesktop.ScreenSaver', 'Lock').kind, 'desktop_action');
  });
});

describe('properties that hold secrets', () => {
  const prop = (iface: string, member: string, access: 'get' | 'set' | 'getall') =>
    judge(iface, member, { access }).kind;
  it('a secret property is refused to read and to write; GetAll of a secret interface too', () => {
    assert.equal(prop('org.gnome.OnlineAccounts.OAuth2Based', 'ClientSecret', 'get'), 'forbidden');
    assert.equal(prop('org.gnome.OnlineAccounts.OAuth2Based', '', 'getall'), 'forbidden');
    assert.equal(prop('org.gnome.OnlineAccounts.OAuthBased', 'ConsumerSecret', 'get'), 'forbidden');
    assert.equal(prop(UNKNOWN, 'Password', 'get'), 'forbidden');
    assert.equal(prop(UNKNOWN, 'AccessToken', 'get'), 'forbidden');
    assert.equal(prop(UNKNOWN, 'PrivateKey', 'get'), 'forbidden');
    assert.equal(prop(UNKNOWN, 'Password', 'set'), 'forbidden');
  });
  it('metadata about secrets stays readable', () => {
    assert.equal(prop('org.freedesktop.Accounts.User', 'PasswordMode', 'get'), 'read');
    assert.equal(prop('org.freedesktop.Accounts.User', 'PasswordHint', 'get'), 'read');
    assert.equal(prop('org.gnome.OnlineAccounts.Account', '', 'getall'), 'read');
    assert.equal(prop('org.gnome.OnlineAccounts.OAuth2Based', 'ClientId', 'get'), 'read');
  });
  it('GetAll is judged on every property the reply will carry', () => {
    const getall = (properties: string[]) =>
      judge(UNKNOWN, '', {
        access: 'getall',
        message: {
          interface: 'org.freedesktop.DBus.Properties',
          member: 'GetAll',
          signature: 's',
          body: [UNKNOWN],
          properties,
        },
      }).kind;
    assert.equal(getall(['Label', 'Password']), 'forbidden');
    assert.equal(getall(['Label', 'api_token']), 'forbidden');
    assert.equal(getall(['Label', 'PasswordMode', 'PasswordHint']), 'read');
    assert.equal(getall([]), 'read');
  });
  it('portal backends are refused even for reads', () => {
    assert.equal(prop('org.freedesktop.impl.portal.Screenshot', 'version', 'get'), 'forbidden');
  });
});

describe('the member-name floor names its family', () => {
  for (const [member, family] of [
    ['PowerOffNow', 'power'],
    ['new_tab_cmdline', 'code'],
    ['NotifyKeyboardKeysym', 'input'],
    ['GetAccessToken', 'secret'],
    ['SetPassword', 'account'],
    ['UpdatePackages', 'package'],
    ['BecomeMonitor', 'bus'],
  ] as const) {
    it(`${member} → ${family}`, () => assert.equal(memberFloor(member)?.family, family));
  }
});
