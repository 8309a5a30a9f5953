/** Names the specification and the well-known services define, spelled once. */

/** The bus driver (the dbus-daemon or dbus-broker itself). */
export const DRIVER = {
  destination: 'org.freedesktop.DBus',
  path: '/org/freedesktop/DBus',
  interface: 'org.freedesktop.DBus',
} as const;

export const PROPERTIES = 'org.freedesktop.DBus.Properties';
export const INTROSPECTABLE = 'org.freedesktop.DBus.Introspectable';
export const PEER = 'org.freedesktop.DBus.Peer';
export const OBJECT_MANAGER = 'org.freedesktop.DBus.ObjectManager';

/** The interfaces every object may carry; they say nothing about what the object is. */
export const STANDARD_INTERFACES: ReadonlySet<string> = new Set([INTROSPECTABLE, PEER, PROPERTIES]);

/** In-signatures of the standard members (used when introspection does not describe them). */
export const STANDARD_SIGNATURES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  [PROPERTIES]: { Get: 'ss', GetAll: 's', Set: 'ssv' },
  [INTROSPECTABLE]: { Introspect: '' },
  [PEER]: { Ping: '', GetMachineId: '' },
  [OBJECT_MANAGER]: { GetManagedObjects: '' },
};

/** The match rule every connection holds: the driver's NameOwnerChanged (owners.ts follows it). */
export const NAME_OWNER_CHANGED_RULE =
  "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',interface='org.freedesktop.DBus',member='NameOwnerChanged'";

/** The systemd manager (user manager on the session bus, system manager on the system bus). */
export const SYSTEMD = {
  destination: 'org.freedesktop.systemd1',
  path: '/org/freedesktop/systemd1',
  interface: 'org.freedesktop.systemd1.Manager',
} as const;

/** MPRIS media players. */
export const MPRIS = {
  prefix: 'org.mpris.MediaPlayer2.',
  path: '/org/mpris/MediaPlayer2',
  root: 'org.mpris.MediaPlayer2',
  player: 'org.mpris.MediaPlayer2.Player',
} as const;

/** D-Bus error names the worker reacts to. */
export const DBUS_ERRORS = {
  ServiceUnknown: 'org.freedesktop.DBus.Error.ServiceUnknown',
  NameHasNoOwner: 'org.freedesktop.DBus.Error.NameHasNoOwner',
  UnknownObject: 'org.freedesktop.DBus.Error.UnknownObject',
  UnknownInterface: 'org.freedesktop.DBus.Error.UnknownInterface',
  UnknownMethod: 'org.freedesktop.DBus.Error.UnknownMethod',
  Failed: 'org.freedesktop.DBus.Error.Failed',
  InteractiveAuthorizationRequired: 'org.freedesktop.DBus.Error.InteractiveAuthorizationRequired',
  PolkitInteractiveAuthorizationRequired: 'org.freedesktop.PolicyKit1.Error.InteractiveAuthorizationRequired',
} as const;
