package dev.hearth.protocol.server;

import dev.hearth.protocol.ProtocolLimits;
import dev.hearth.protocol.tls.CoordinatorCertificate;
import java.net.InetAddress;
import java.time.Clock;

/// How a [HearthServer] listens.
///
/// @param bindAddress interface to listen on; loopback unless the operator chose to expose the run
/// @param port TCP port, 0 for an ephemeral port (see [HearthServer#port()])
/// @param certificate the coordinator's TLS identity
/// @param workerThreads event-loop threads serving connections
/// @param clock wall clock for heartbeat timestamps
/// @param maxConnections open connections beyond this are closed on accept ([ProtocolLimits#MAX_CONNECTIONS])
public record ServerConfig(InetAddress bindAddress, int port, CoordinatorCertificate certificate, int workerThreads,
                           Clock clock, int maxConnections) {
    /// 47470: Hearth's default coordinator port (unassigned by IANA, far from common dev-server ports); run.toml
    /// uses it as `server.port`'s default.
    public static final int DEFAULT_PORT = 47_470;
    /// 2 threads: TLS and protobuf for a few hundred nodes fit on two cores; more would compete with aggregation.
    public static final int DEFAULT_WORKER_THREADS = 2;

    public ServerConfig {
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("port " + port + " is outside 0..65535");
        }
        if (workerThreads < 1) {
            throw new IllegalArgumentException("workerThreads must be at least 1, got " + workerThreads);
        }
        if (maxConnections < 1) {
            throw new IllegalArgumentException("maxConnections must be at least 1, got " + maxConnections);
        }
        if (bindAddress == null || certificate == null || clock == null) {
            throw new IllegalArgumentException("bindAddress, certificate and clock are required");
        }
    }

    /// Listens on loopback only: the safe default for a local or embedded run.
    public static ServerConfig loopback(int port, CoordinatorCertificate certificate) {
        return new ServerConfig(InetAddress.getLoopbackAddress(), port, certificate, DEFAULT_WORKER_THREADS,
                Clock.systemUTC(), ProtocolLimits.MAX_CONNECTIONS);
    }

    public ServerConfig withBindAddress(InetAddress address) {
        return new ServerConfig(address, port, certificate, workerThreads, clock, maxConnections);
    }

    public ServerConfig withMaxConnections(int max) {
        return new ServerConfig(bindAddress, port, certificate, workerThreads, clock, max);
    }
}
