import type { CuratedInterface } from './curated.js';
import { members as m } from './curated.js';

/**
 * The bus driver (`org.freedesktop.DBus` and its other interfaces: Monitoring, Debug.Stats,
 * Verbose, Containers1). It is curated completely: what an agent may do to the bus itself is
 * read it and hold match rules for its own subscriptions; taking or giving up names
 * (impersonating a service), monitoring, changing the activation environment, reloading or
 * tracing the bus, and anything not listed are bus administration. `AddMatch` is judged on its
 * rule too (match-rules.ts).
 */
export const BUS_INTERFACES: CuratedInterface[] = [
  {
    name: 'org.freedesktop.DBus',
    methods: {
      ...m(
        'read',
        'ListNames ListActivatableNames NameHasOwner GetNameOwner ListQueuedOwners GetConnectionUnixUser ' +
          'GetConnectionUnixProcessID GetConnectionCredentials GetAdtAuditSessionData ' +
          'GetConnectionSELinuxSecurityContext GetConnectionAppArmorSecurityContext GetId',
      ),
      ...m('call', 'StartServiceByName AddMatch RemoveMatch'),
      ...m(
        'forbidden',
        'BecomeMonitor UpdateActivationEnvironment RequestName ReleaseName Hello ReloadConfig',
      ),
    },
    forbiddenReason: 'bus administration',
    writeDefault: 'forbidden',
    unknown: 'forbidden',
  },
  {
    name: 'org.freedesktop.DBus.*',
    methods: m('read', 'GetStats GetConnectionStats GetAllMatchRules'),
    forbiddenReason: 'bus administration',
    writeDefault: 'forbidden',
    unknown: 'forbidden',
  },
];
