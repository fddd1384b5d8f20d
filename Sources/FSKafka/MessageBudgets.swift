/// The per-partition message budgets a `KafkaConsumer` enforces inside `poll` (`limitMessages`).
///
/// Counted per delivered message, so the lookup is two array reads: topics by slot (the poll
/// resolves a message's topic once per run of messages from it), partitions by id. A class: the
/// rebalance callback, which runs inside `poll`, drops a moving partition's budget while the
/// poll holds the same object.
final class MessageBudgets {
    /// Budget left per topic slot and partition id; `unlimited` where none was set.
    private var remaining: [[Int]] = []
    private var slots: [String: Int] = [:]
    /// Partitions whose budget ran out since `limit`, paused by the consumer, in that order.
    private(set) var spent: [TopicPartition] = []
    static let unlimited = Int.max

    var isEmpty: Bool { slots.isEmpty }

    /// Replaces every budget with `budgets` (empty: no limits); returns the partitions the old
    /// budgets paused, for the caller to resume.
    func limit(_ budgets: [TopicPartition: Int]) -> [TopicPartition] {
        defer { spent = [] }
        remaining = []
        slots = [:]
        for (tp, n) in budgets {
            let slot = slots[tp.topic] ?? {
                remaining.append([])
                slots[tp.topic] = remaining.count - 1
                return remaining.count - 1
            }()
            let p = Int(tp.partition)
            guard p >= 0 else { continue }
            if remaining[slot].count <= p { remaining[slot] += Array(repeating: MessageBudgets.unlimited, count: p + 1 - remaining[slot].count) }
            remaining[slot][p] = max(0, n)
        }
        return spent
    }

    /// The slot of `topic` for `take`, or nil when none of its partitions has a budget.
    func slot(of topic: String) -> Int? { slots[topic] }

    /// Counts one delivered message; true when it used the partition's last unit (the caller
    /// pauses the partition now, before the next message is taken).
    @inline(__always)
    func take(slot: Int, partition: Int32) -> Bool {
        let p = Int(partition)
        guard p >= 0, p < remaining[slot].count else { return false }
        let left = remaining[slot][p]
        guard left != MessageBudgets.unlimited, left > 0 else { return false }
        remaining[slot][p] = left - 1
        return left == 1
    }

    /// Records a partition paused because its budget is spent.
    func markSpent(_ tp: TopicPartition) { spent.append(tp) }

    /// Forgets the budgets of `tps` (revoked or newly assigned); returns those of them that
    /// were paused, for the caller to resume.
    func drop(_ tps: [TopicPartition]) -> [TopicPartition] {
        let moving = Set(tps)
        for tp in moving {
            if let slot = slots[tp.topic], Int(tp.partition) >= 0, Int(tp.partition) < remaining[slot].count {
                remaining[slot][Int(tp.partition)] = MessageBudgets.unlimited
            }
        }
        let paused = spent.filter { moving.contains($0) }
        spent.removeAll { moving.contains($0) }
        return paused
    }
}
