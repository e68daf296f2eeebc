/**
 * What tests may inspect beyond the package API: the resolved context of a server (settings after
 * the profile's defaults, the DPoP nonces, the client resolver). ServerContext is not public
 * (issue #12); tests reach it only through here.
 */
export { serverContextOf as contextOf } from '../../src/authorization-server.ts';
