import PrimeSumJobs

/// The Lua scripts that make each store operation one atomic step in Redis: loaded once with
/// SCRIPT LOAD, run with EVALSHA (and loaded again after a restarted Redis answers NOSCRIPT).
///
/// Keys a script derives from a job's fields (the job hashes of the queue, the result and
/// idempotency keys of an expired job) are built inside it, so the store needs a single Redis
/// server (or a primary with replicas), not Redis Cluster.
enum RedisScript: CaseIterable, Sendable {
    case submit, claim, update, renewLeases, lapsed, parts, deleteExpired, cleanerLease,
        recordHeartbeat,
        heartbeats

    /// `RedisKeys.idempotency(key:owner:)` in Lua, for the scripts that build it from a job's
    /// fields.
    private static let idempotencyKeyFunction = """
        local function idempotencyKey(prefix, key, owner)
          owner = owner or ''
          return prefix .. 'idem:' .. string.len(owner) .. ':' .. owner .. ':' .. key
        end
        """

    /// `HMGET`'s field list, for scripts that return a job.
    private static let columns = JobRecord.columns.map { "'\($0)'" }.joined(separator: ", ")
    /// `columns` without `piece_result`, and the place (Lua's, from 1) where its nil goes back.
    private static let columnsWithoutPieceResult = JobRecord.columns.filter { $0 != "piece_result" }
        .map { "'\($0)'" }.joined(separator: ", ")
    private static let pieceResultPlace = (JobRecord.columns.firstIndex(of: "piece_result") ?? 0) + 1

    /// `JobStore.submit` in one step. KEYS: job, the job's queue (`RedisKeys.queue(of:)`), leases, expiry, result[, idempotency[,
    /// the parent's parts]]. ARGV: id, created at (the queue score), channel, the writer's tag,
    /// queueing (1 or 0), owner (empty for none), expiry, 1 when the job may be answered by a
    /// result (it is not a part), job key prefix, the lease expiry of a job submitted claimed
    /// (empty for a QUEUED one), then the job's field/value pairs. Returns {'d', fields} for
    /// the job holding the key, {'a', fields} for the owner's own result, {'c', fields} for
    /// the job stored FINISHED with another owner's result's sum (`Job.answered(sum:)`), {'s'}
    /// when stored as submitted, {'n'} when nothing was stored.
    private static let submitSource = """
        if KEYS[6] then
          local holder = redis.call('GET', KEYS[6])
          if holder then return {'d', redis.call('HMGET', ARGV[9] .. holder, \(columns))} end
        end
        local sum = false
        if ARGV[8] == '1' then
          local known = redis.call('GET', KEYS[5])
          if known then
            local found = redis.call('HMGET', ARGV[9] .. known, 'status', 'expires_at', 'owner', 'sum')
            if found[1] == 'FINISHED' and tonumber(found[2]) > tonumber(ARGV[2]) then
              if (found[3] or '') == ARGV[6] then return {'a', redis.call('HMGET', ARGV[9] .. known, \(columns))} end
              sum = found[4]
            end
          end
        end
        if not sum and ARGV[5] ~= '1' then return {'n'} end
        if KEYS[6] then redis.call('SET', KEYS[6], ARGV[1]) end
        if KEYS[7] then redis.call('SADD', KEYS[7], ARGV[1]) end
        redis.call('HSET', KEYS[1], unpack(ARGV, 11))
        if sum then
          redis.call('HSET', KEYS[1], 'status', 'FINISHED', 'sum', sum, 'progress', '1', 'started_at', ARGV[2],
            'finished_at', ARGV[2], 'attempts', '0')
          redis.call('HDEL', KEYS[1], 'lease_owner', 'lease_expires_at', 'worker')
          redis.call('ZADD', KEYS[4], ARGV[7], ARGV[1])
          redis.call('PEXPIREAT', KEYS[1], ARGV[7])
          if KEYS[6] then redis.call('PEXPIREAT', KEYS[6], ARGV[7]) end
          redis.call('PUBLISH', ARGV[3], 'j:' .. ARGV[1] .. ':' .. ARGV[4])
          return {'c', redis.call('HMGET', KEYS[1], \(columns))}
        end
        if ARGV[10] ~= '' then
          redis.call('ZADD', KEYS[3], ARGV[10], ARGV[1])
        else
          redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
          redis.call('PUBLISH', ARGV[3], 'q:' .. ARGV[1] .. ':' .. ARGV[4])
        end
        return {'s'}
        """

    /// KEYS: queue, leases, part queue. ARGV: job key prefix, lease milliseconds, how many
    /// parts may be taken, then one worker name per job to take. Pops the oldest QUEUED jobs
    /// (of both queues while parts may still be taken), applying `Job.claim` at Redis's `TIME`
    /// with the n-th worker as the n-th job's lease owner (`RedisJobStoreTests` checks they
    /// agree); returns each job's fields, oldest first. Nothing is published: waiters wait for
    /// a job to be queued or to end, and a claim is neither.
    private static let claimSource = """
        local time = redis.call('TIME')
        local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
        local leaseUntil = string.format('%d', now + tonumber(ARGV[2]))
        local partsLeft = tonumber(ARGV[3])
        local claimed = {}
        while #claimed < #ARGV - 3 do
          local queue = KEYS[1]
          if partsLeft > 0 then
            local whole = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
            local part = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
            if #part > 0 and (#whole == 0 or tonumber(part[2]) < tonumber(whole[2])) then queue = KEYS[3] end
          end
          local popped = redis.call('ZPOPMIN', queue)
          if #popped == 0 then break end
          local id = popped[1]
          local key = ARGV[1] .. id
          if redis.call('HGET', key, 'status') == 'QUEUED' then
            local started = math.max(now, tonumber(redis.call('HGET', key, 'created_at')))
            redis.call('HSET', key, 'status', 'IN_PROGRESS', 'started_at', string.format('%d', started),
              'progress', '0', 'lease_owner', ARGV[4 + #claimed], 'worker', ARGV[4 + #claimed],
              'lease_expires_at', leaseUntil)
            redis.call('HINCRBY', key, 'attempts', 1)
            redis.call('HINCRBY', key, 'version', 1)
            redis.call('ZADD', KEYS[2], leaseUntil, id)
            if queue == KEYS[3] then partsLeft = partsLeft - 1 end
            claimed[#claimed + 1] = redis.call('HMGET', key, \(columns))
          end
        end
        return claimed
        """

    /// The conditional write. KEYS: job, the job's queue, leases, expiry, result[, idempotency]. ARGV:
    /// the condition (`v:VERSION`, a compare-and-swap, or `l:ATTEMPT:OWNER`, held under that
    /// lease), id, channel, status, created at, lease expiry, expiry, key prefix, the writer's
    /// tag, then field/value pairs where a value is `=TEXT`, or empty to delete the field. Keeps the
    /// queue, leases and expiry sets in step with the status; a terminal job's keys expire at
    /// its expiry, its parts' (and their idempotency keys) with them. A part never expires on
    /// its own, nor is it a result. A change of status is published, an end with the job's
    /// fields as a JSON object (but a piece's result, which no waiter reads). Returns the new version, or 0 when the condition failed or the
    /// job is gone.
    private static let updateSource = """
        \(idempotencyKeyFunction)
        local condition = string.sub(ARGV[1], 3)
        if string.sub(ARGV[1], 1, 2) == 'v:' then
          if redis.call('HGET', KEYS[1], 'version') ~= condition then return 0 end
        else
          local held = redis.call('HMGET', KEYS[1], 'status', 'attempts', 'lease_owner')
          if held[1] ~= 'IN_PROGRESS' or (held[2] .. ':' .. (held[3] or '')) ~= condition then return 0 end
        end
        local previous = redis.call('HGET', KEYS[1], 'status')
        local part = redis.call('HGET', KEYS[1], 'parent_id')
        local set, delete = {}, {}
        for i = 10, #ARGV, 2 do
          if ARGV[i + 1] == '' then
            delete[#delete + 1] = ARGV[i]
          else
            set[#set + 1] = ARGV[i]
            set[#set + 1] = string.sub(ARGV[i + 1], 2)
          end
        end
        if #set > 0 then redis.call('HSET', KEYS[1], unpack(set)) end
        if #delete > 0 then redis.call('HDEL', KEYS[1], unpack(delete)) end
        local id, status = ARGV[2], ARGV[4]
        if status == 'QUEUED' then redis.call('ZADD', KEYS[2], ARGV[5], id) else redis.call('ZREM', KEYS[2], id) end
        if status == 'IN_PROGRESS' and ARGV[6] ~= '' then
          redis.call('ZADD', KEYS[3], ARGV[6], id)
        else
          redis.call('ZREM', KEYS[3], id)
        end
        if not part and (status == 'FINISHED' or status == 'FAILED' or status == 'CANCELLED') then
          redis.call('ZADD', KEYS[4], ARGV[7], id)
          if status == 'FINISHED' then redis.call('SET', KEYS[5], id, 'PXAT', ARGV[7]) end
          if KEYS[6] then redis.call('PEXPIREAT', KEYS[6], ARGV[7]) end
          redis.call('PEXPIREAT', KEYS[1], ARGV[7])
          local parts = ARGV[8] .. 'parts:' .. id
          for _, member in ipairs(redis.call('SMEMBERS', parts)) do
            local key = ARGV[8] .. 'job:' .. member
            local fields = redis.call('HMGET', key, 'idempotency_key', 'owner')
            redis.call('PEXPIREAT', key, ARGV[7])
            if fields[1] then
              redis.call('PEXPIREAT', idempotencyKey(ARGV[8], fields[1], fields[2]), ARGV[7])
            end
          end
          redis.call('PEXPIREAT', parts, ARGV[7])
        end
        local version = redis.call('HINCRBY', KEYS[1], 'version', 1)
        if previous ~= status then
          local message = (status == 'QUEUED' and 'q:' or 'j:') .. id .. ':' .. ARGV[9]
          if status == 'FINISHED' or status == 'FAILED' or status == 'CANCELLED' then
            local fields, all = {}, redis.call('HGETALL', KEYS[1])
            for i = 1, #all, 2 do
              if all[i] ~= 'piece_result' then fields[all[i]] = all[i + 1] end
            end
            message = message .. ':' .. cjson.encode(fields)
          end
          redis.call('PUBLISH', ARGV[3], message)
        end
        return version
        """

    /// KEYS: leases. ARGV: job key prefix, lease milliseconds, then id, owner, attempt,
    /// progress for each running job. Extends the lease (from Redis's `TIME`) and writes the
    /// progress of each job still held under that lease, nothing else (not its version);
    /// returns the ids of the others.
    private static let renewLeasesSource = """
        local time = redis.call('TIME')
        local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
        local leaseUntil = string.format('%d', now + tonumber(ARGV[2]))
        local lost = {}
        for i = 3, #ARGV, 4 do
          local key = ARGV[1] .. ARGV[i]
          local held = redis.call('HMGET', key, 'status', 'lease_owner', 'attempts')
          if held[1] == 'IN_PROGRESS' and held[2] == ARGV[i + 1] and held[3] == ARGV[i + 2] then
            redis.call('HSET', key, 'progress', ARGV[i + 3], 'lease_expires_at', leaseUntil)
            redis.call('ZADD', KEYS[1], leaseUntil, ARGV[i])
          else
            lost[#lost + 1] = ARGV[i]
          end
        end
        return lost
        """

    /// KEYS: leases. ARGV: job key prefix, now, batch size. The fields of up to a batch of
    /// jobs whose lease lapsed before now; an id whose job is gone leaves the set.
    private static let lapsedSource = """
        local jobs = {}
        for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))) do
          local fields = redis.call('HMGET', ARGV[1] .. id, \(columns))
          if fields[1] then jobs[#jobs + 1] = fields else redis.call('ZREM', KEYS[1], id) end
        end
        return jobs
        """

    /// KEYS: a job's parts. ARGV: job key prefix, 1 to read the pieces' results (0 leaves them
    /// nil). Each part's fields.
    private static let partsSource = """
        local parts = {}
        for _, member in ipairs(redis.call('SMEMBERS', KEYS[1])) do
          local fields
          if ARGV[2] == '1' then
            fields = redis.call('HMGET', ARGV[1] .. member, \(columns))
          else
            fields = redis.call('HMGET', ARGV[1] .. member, \(columnsWithoutPieceResult))
            table.insert(fields, \(pieceResultPlace), false)
          end
          if fields[1] then parts[#parts + 1] = fields end
        end
        return parts
        """

    /// KEYS: expiry, heartbeats, heartbeats-until. ARGV: now, key prefix, batch size. Deletes up
    /// to a batch of terminal jobs that expired before now, with their result and idempotency
    /// keys and parts, and every heartbeat no longer listed. Returns {jobs deleted, ids swept}.
    private static let deleteExpiredSource = """
        \(idempotencyKeyFunction)
        local function forget(id, fields)
          if fields[1] then
            local idempotency = idempotencyKey(ARGV[2], fields[1], fields[2])
            if redis.call('GET', idempotency) == id then redis.call('DEL', idempotency) end
          end
        end
        local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1], 'LIMIT', 0, ARGV[3])
        local deleted = 0
        for _, id in ipairs(ids) do
          local key = ARGV[2] .. 'job:' .. id
          local fields = redis.call('HMGET', key, 'a', 'b', 'idempotency_key', 'owner')
          deleted = deleted + redis.call('DEL', key)
          if fields[1] then
            local result = ARGV[2] .. 'result:' .. fields[1] .. ':' .. fields[2]
            if redis.call('GET', result) == id then redis.call('DEL', result) end
          end
          forget(id, {fields[3], fields[4]})
          local parts = ARGV[2] .. 'parts:' .. id
          for _, member in ipairs(redis.call('SMEMBERS', parts)) do
            local partKey = ARGV[2] .. 'job:' .. member
            forget(member, redis.call('HMGET', partKey, 'idempotency_key', 'owner'))
            redis.call('DEL', partKey)
          end
          redis.call('DEL', parts)
        end
        if #ids > 0 then redis.call('ZREM', KEYS[1], unpack(ids)) end
        local lapsed = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', ARGV[1])
        if #lapsed > 0 then
          redis.call('HDEL', KEYS[2], unpack(lapsed))
          redis.call('ZREM', KEYS[3], unpack(lapsed))
        end
        return {deleted, #ids}
        """

    /// KEYS: cleaner lease. ARGV: holder, until, now. Takes the lease when nobody holds it
    /// (`SET NX PX`: Redis drops it when it lapses), renews it for its holder, and takes it over
    /// from another holder whose lease ended before now (the callers' clock, which the contract
    /// suite moves by hand). 1 or 0.
    private static let cleanerLeaseSource = """
        local value, ttl = ARGV[2] .. '|' .. ARGV[1], math.max(1, ARGV[2] - ARGV[3])
        if redis.call('SET', KEYS[1], value, 'NX', 'PX', ttl) then return 1 end
        local current = redis.call('GET', KEYS[1])
        if current then
          local separator = string.find(current, '|', 1, true)
          local holder = string.sub(current, separator + 1)
          if holder ~= ARGV[1] and tonumber(string.sub(current, 1, separator - 1)) > tonumber(ARGV[3]) then
            return 0
          end
        end
        redis.call('SET', KEYS[1], value, 'PX', ttl)
        return 1
        """

    /// KEYS: heartbeats, heartbeats-until. ARGV: replica, document, until.
    private static let recordHeartbeatSource = """
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
        redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
        return 1
        """

    /// KEYS: heartbeats, heartbeats-until. ARGV: now. The documents still listed at now.
    private static let heartbeatsSource = """
        local names = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. ARGV[1], '+inf')
        if #names == 0 then return {} end
        return redis.call('HMGET', KEYS[1], unpack(names))
        """

    /// The script's Lua text.
    var source: String {
        switch self {
        case .submit: Self.submitSource
        case .claim: Self.claimSource
        case .update: Self.updateSource
        case .renewLeases: Self.renewLeasesSource
        case .lapsed: Self.lapsedSource
        case .parts: Self.partsSource
        case .deleteExpired: Self.deleteExpiredSource
        case .cleanerLease: Self.cleanerLeaseSource
        case .recordHeartbeat: Self.recordHeartbeatSource
        case .heartbeats: Self.heartbeatsSource
        }
    }
}
