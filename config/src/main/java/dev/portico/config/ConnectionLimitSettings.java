package dev.portico.config;

/**
 * How many client connections the listener keeps open ({@code portico.listen}). A connection over a limit
 * is closed as soon as it is accepted.
 *
 * @param maxConnections      open client connections in all; positive
 * @param maxConnectionsPerIp open client connections from one IP address; 0 for no such limit (clients
 *                            behind one NAT or proxy share an address)
 */
public record ConnectionLimitSettings(int maxConnections, int maxConnectionsPerIp) {
}
