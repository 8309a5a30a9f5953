// dbus-next is installed as the @particle/dbus-next fork, whose typings declare only the
// '@particle/dbus-next' module name (and are not a module file, so they cannot be imported);
// this makes them visible under the name we import.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="../../node_modules/dbus-next/types.d.ts" />
declare module 'dbus-next' {
  import * as dbus from '@particle/dbus-next';
  export * from '@particle/dbus-next';
  export default dbus;
}
