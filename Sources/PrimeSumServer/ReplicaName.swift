import Foundation

/// This process's name among the replicas: its host (the pod's name in Kubernetes) and its
/// process id. It names the cleaner lease's holder, the heartbeat and the workers, and every
/// JSON log line.
public enum ReplicaName {
    public static let current =
        "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
}
