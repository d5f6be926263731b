// MARK: - PickleLimits

/// Bounds on what one pickle may make the reader hold. Real checkpoints stay
/// far below them (a 1024 px StyleGAN (G, D, Gs) pickle: ~20k values, depth < 12).
public struct PickleLimits: Sendable {
    /// Deepest nesting of containers (tuples, lists, dicts, objects).
    public var maxDepth = 64
    /// Memo entries.
    public var maxMemo = 1 << 20
    /// Values on the stack (marks included).
    public var maxStack = 1 << 20
    /// Values created in all (every push and every container insertion counts).
    public var maxValues = 1 << 22
    /// Bytes of the longest str (bytes are ranges of the input and cost nothing).
    public var maxStringBytes = 1 << 24

    public init() {}
}

// MARK: - PickleMachine

/// Runs a pickle's opcodes to describe (never build) the object it encodes.
///
/// Reads one pickle starting at `start` and stops at its STOP opcode, so
/// several pickles may follow each other (legacy torch.save). Every read is
/// bounds-checked; every failure is a `WeightsError` naming the file and byte.
struct PickleMachine {
    private let data: UnsafeRawBufferPointer
    private let source: String
    private let limits: PickleLimits
    private var position: Int
    private var opcodeStart = 0

    private var stack: [PickleValue] = []
    /// Positions in `stack` where MARKs were pushed.
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]
    private var valuesCreated = 0

    init(data: UnsafeRawBufferPointer, start: Int = 0, source: String, limits: PickleLimits = PickleLimits()) {
        self.data = data
        self.source = source
        self.limits = limits
        self.position = start
    }

    /// Runs to STOP: the described object and the offset just past STOP.
    static func load(_ data: UnsafeRawBufferPointer, start: Int = 0, source: String,
                     limits: PickleLimits = PickleLimits()) throws(WeightsError) -> (value: PickleValue, end: Int) {
        var machine = PickleMachine(data: data, start: start, source: source, limits: limits)
        let value = try machine.run()
        return (value, machine.position)
    }

    // MARK: - Main loop

    mutating func run() throws(WeightsError) -> PickleValue {
        while true {
            opcodeStart = position
            let byte = try readByte()
            guard let op = PickleOpcode(rawValue: byte) else {
                throw fail("unsupported opcode 0x\(String(byte, radix: 16)) (not used by torch or dnnlib pickles)")
            }
            switch op {
            case .stop:
                guard marks.isEmpty else { throw fail("STOP with an unclosed MARK") }
                guard stack.count == 1 else { throw fail("STOP with \(stack.count) values on the stack, expected 1") }
                return stack[0]
            case .proto:
                let v = try readByte()
                guard (2...5).contains(v) else { throw fail("pickle protocol \(v) (this reader reads 2 to 5)") }
            case .frame:
                let n = try readUInt(8)
                guard n <= UInt64(data.count - position) else { throw fail("frame of \(n) bytes runs past the end") }
            case .mark:
                try checkStack(1)
                marks.append(stack.count)
            case .pop:
                if let m = marks.last, m == stack.count { marks.removeLast() } else { _ = try pop() }
            case .popMark:
                _ = try popToMark()
            case .dup:
                let v = try peek()
                try push(v)
            case .none: try push(.none)
            case .newTrue: try push(.bool(true))
            case .newFalse: try push(.bool(false))
            case .binInt: try push(.int(Int(Int32(bitPattern: UInt32(try readUInt(4))))))
            case .binInt1: try push(.int(Int(try readByte())))
            case .binInt2: try push(.int(Int(try readUInt(2))))
            case .long1: try pushLong(Int(try readByte()))
            case .long4:
                let n = Int32(bitPattern: UInt32(try readUInt(4)))
                guard n >= 0, n <= 4096 else { throw fail("LONG4 of \(n) bytes (at most 4096 accepted)") }
                try pushLong(Int(n))
            case .binFloat:
                try push(.float(Double(bitPattern: try readUIntBigEndian(8))))
            case .shortBinUnicode: try pushString(Int(try readByte()))
            case .binUnicode: try pushString(try length(4))
            case .binUnicode8: try pushString(try length(8))
            case .shortBinBytes, .shortBinString: try push(.bytes(try take(Int(try readByte()))))
            case .binBytes, .binString: try push(.bytes(try take(try length(4))))
            case .binBytes8, .byteArray8: try push(.bytes(try take(try length(8))))
            case .readonlyBuffer:
                guard case .bytes = try peek() else { throw typeError("READONLY_BUFFER", "bytes", try peek()) }
            case .emptyTuple: try push(.tuple(PickleTuple([], depth: 1)))
            case .tuple1, .tuple2, .tuple3:
                let n = Int(op.rawValue - PickleOpcode.tuple1.rawValue) + 1
                try checkDepth(n)
                let items = Array(stack.suffix(n))
                stack.removeLast(n)
                try push(try makeTuple(items))
            case .tuple:
                let items = try popToMark()
                try push(try makeTuple(items))
            case .emptyList: try push(.list(PickleList()))
            case .list:
                let items = try popToMark()
                let list = PickleList()
                try push(.list(list))
                try extend(list, items)
            case .emptyDict: try push(.dict(PickleDict(typeName: nil)))
            case .dict:
                let items = try popToMark()
                let dict = PickleDict(typeName: nil)
                try push(.dict(dict))
                try setItems(dict, items)
            case .append:
                let item = try pop()
                try extend(try mutableList(), [item])
            case .appends:
                let items = try popToMark()
                try extend(try mutableList(), items)
            case .setItem:
                let value = try pop()
                let key = try pop()
                try setItems(try mutableDict(), [key, value])
            case .setItems:
                let items = try popToMark()
                try setItems(try mutableDict(), items)
            case .binPut: try memoPut(Int(try readByte()), try peek())
            case .longBinPut: try memoPut(Int(try readUInt(4)), try peek())
            case .memoize: try memoPut(memo.count, try peek())
            case .binGet: try push(try memoGet(Int(try readByte())))
            case .longBinGet: try push(try memoGet(Int(try readUInt(4))))
            case .global:
                let module = try readLine()
                let name = try readLine()
                try push(.global(try allowedGlobal(module, name)))
            case .stackGlobal:
                let nameValue = try pop()
                let moduleValue = try pop()
                guard case .string(let name) = nameValue, case .string(let module) = moduleValue else {
                    throw fail("STACK_GLOBAL needs two str, found \(moduleValue.kindName) and \(nameValue.kindName)")
                }
                try push(.global(try allowedGlobal(module, name)))
            case .reduce:
                let args = try pop()
                let callable = try pop()
                try push(try call(callable, args, opcode: "REDUCE"))
            case .newObj:
                let args = try pop()
                let cls = try pop()
                try push(try call(cls, args, opcode: "NEWOBJ"))
            case .newObjEx:
                let kwargs = try pop()
                let args = try pop()
                let cls = try pop()
                guard case .dict(let d) = kwargs, d.entries.isEmpty else {
                    throw fail("NEWOBJ_EX with keyword arguments (\(kwargs.kindName)) is not supported")
                }
                try push(try call(cls, args, opcode: "NEWOBJ_EX"))
            case .build:
                let state = try pop()
                try build(try peek(), state)
            case .binPersId:
                let pid = try pop()
                guard case .tuple(let t) = pid else { throw typeError("BINPERSID", "a tuple", pid) }
                try adopt(pid, parentDepth: t.depth + 1)
                try push(.persistent(t))
            }
        }
    }

    // MARK: - Reading operands

    private mutating func readByte() throws(WeightsError) -> UInt8 {
        guard position < data.count else { throw truncated() }
        defer { position += 1 }
        return data[position]
    }

    /// Little-endian unsigned integer of `n` bytes.
    private mutating func readUInt(_ n: Int) throws(WeightsError) -> UInt64 {
        guard data.count - position >= n else { throw truncated() }
        var v: UInt64 = 0
        for i in 0..<n { v |= UInt64(data[position + i]) << (8 * UInt64(i)) }
        position += n
        return v
    }

    private mutating func readUIntBigEndian(_ n: Int) throws(WeightsError) -> UInt64 {
        guard data.count - position >= n else { throw truncated() }
        var v: UInt64 = 0
        for i in 0..<n { v = v << 8 | UInt64(data[position + i]) }
        position += n
        return v
    }

    /// An unsigned length of `n` bytes that must fit in what is left of the input.
    private mutating func length(_ n: Int) throws(WeightsError) -> Int {
        let v = try readUInt(n)
        guard v <= UInt64(data.count - position) else {
            throw fail("declared length \(v) runs past the end of the input (\(data.count - position) bytes left)")
        }
        return Int(v)
    }

    private mutating func take(_ n: Int) throws(WeightsError) -> Range<Int> {
        guard data.count - position >= n else { throw truncated() }
        defer { position += n }
        return position..<(position + n)
    }

    /// A GLOBAL operand: printable ASCII up to a newline, at most 256 bytes.
    private mutating func readLine() throws(WeightsError) -> String {
        var bytes: [UInt8] = []
        while true {
            let b = try readByte()
            if b == 0x0A { break }
            guard b >= 0x20, b < 0x7F, bytes.count < 256 else { throw fail("GLOBAL operand is not a short printable line") }
            bytes.append(b)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private mutating func pushString(_ n: Int) throws(WeightsError) {
        guard n <= limits.maxStringBytes else { throw limit("string length", n) }
        let range = try take(n)
        guard let s = String(validating: UnsafeRawBufferPointer(rebasing: data[range]), as: UTF8.self) else {
            throw fail("string is not valid UTF-8")
        }
        try push(.string(s))
    }

    private mutating func pushLong(_ n: Int) throws(WeightsError) {
        let range = try take(n)
        if n == 0 { try push(.int(0)); return }
        if n <= 8 {
            var v: UInt64 = 0
            for i in 0..<n { v |= UInt64(data[range.lowerBound + i]) << (8 * UInt64(i)) }
            if n < 8, data[range.upperBound - 1] & 0x80 != 0 { v |= ~0 << (8 * UInt64(n)) }  // sign-extend
            try push(.int(Int(Int64(bitPattern: v))))
        } else {
            try push(.bigInt(range))
        }
    }

    // MARK: - Stack, marks, memo

    private mutating func push(_ v: PickleValue) throws(WeightsError) {
        try checkStack(1)
        try count(1)
        stack.append(v)
    }

    private mutating func checkStack(_ extra: Int) throws(WeightsError) {
        guard stack.count + marks.count + extra <= limits.maxStack else { throw limit("stack size", stack.count + marks.count + extra) }
    }

    private mutating func count(_ n: Int) throws(WeightsError) {
        valuesCreated += n
        guard valuesCreated <= limits.maxValues else { throw limit("values created", valuesCreated) }
    }

    private mutating func pop() throws(WeightsError) -> PickleValue {
        guard let last = stack.last, stack.count > (marks.last ?? 0) else { throw fail("stack underflow") }
        stack.removeLast()
        return last
    }

    private func peek() throws(WeightsError) -> PickleValue {
        guard let last = stack.last, stack.count > (marks.last ?? 0) else { throw fail("stack underflow") }
        return last
    }

    private func checkDepth(_ n: Int) throws(WeightsError) {
        guard stack.count - (marks.last ?? 0) >= n else { throw fail("stack underflow") }
    }

    private mutating func popToMark() throws(WeightsError) -> [PickleValue] {
        guard let m = marks.popLast() else { throw fail("no MARK on the stack") }
        let items = Array(stack[m...])
        stack.removeSubrange(m...)
        return items
    }

    private mutating func memoPut(_ key: Int, _ v: PickleValue) throws(WeightsError) {
        if memo[key] == nil, memo.count >= limits.maxMemo { throw limit("memo size", memo.count + 1) }
        memo[key] = v
    }

    private func memoGet(_ key: Int) throws(WeightsError) -> PickleValue {
        guard let v = memo[key] else { throw fail("memo key \(key) was never stored") }
        return v
    }

    // MARK: - Building containers

    /// Makes `v` a child: freezes it (a frozen container never changes again,
    /// so depths stay exact and no cycle can form) and checks the parent's depth.
    private mutating func adopt(_ v: PickleValue, parentDepth: Int) throws(WeightsError) {
        guard parentDepth <= limits.maxDepth else { throw limit("nesting depth", parentDepth) }
        switch v {
        case .list(let l): l.frozen = true
        case .dict(let d): d.frozen = true
        case .object(let o): o.frozen = true
        default: break
        }
    }

    private mutating func makeTuple(_ items: [PickleValue]) throws(WeightsError) -> PickleValue {
        let depth = 1 + (items.map(\.depth).max() ?? 0)
        for item in items { try adopt(item, parentDepth: depth) }
        try count(items.count)
        return .tuple(PickleTuple(items, depth: depth))
    }

    private func mutableList() throws(WeightsError) -> PickleList {
        let target = try peek()
        guard case .list(let list) = target else { throw typeError("APPEND", "a list", target) }
        guard !list.frozen else { throw fail("APPEND to a list that is already part of another value") }
        return list
    }

    private func mutableDict() throws(WeightsError) -> PickleDict {
        let target = try peek()
        guard case .dict(let dict) = target else { throw typeError("SETITEM", "a dict", target) }
        guard !dict.frozen else { throw fail("SETITEM on a dict that is already part of another value") }
        return dict
    }

    private mutating func extend(_ list: PickleList, _ items: [PickleValue]) throws(WeightsError) {
        for item in items {
            if case .list(let l) = item, l === list { throw fail("a list cannot contain itself") }
            let depth = max(list.depth, item.depth + 1)
            try adopt(item, parentDepth: depth)
            list.depth = depth
        }
        try count(items.count)
        list.items.append(contentsOf: items)
    }

    private mutating func setItems(_ dict: PickleDict, _ items: [PickleValue]) throws(WeightsError) {
        guard items.count % 2 == 0 else { throw fail("SETITEMS with an odd number of values (\(items.count))") }
        for i in stride(from: 0, to: items.count, by: 2) {
            for v in [items[i], items[i + 1]] {
                if case .dict(let d) = v, d === dict { throw fail("a dict cannot contain itself") }
                let depth = max(dict.depth, v.depth + 1)
                try adopt(v, parentDepth: depth)
                dict.depth = depth
            }
            dict.set(items[i], items[i + 1])
        }
        try count(items.count)
    }

    // MARK: - Globals, calls, BUILD

    private func allowedGlobal(_ module: String, _ name: String) throws(WeightsError) -> PickleGlobal {
        guard PickleGlobals.role(module: module, name: name) != nil else {
            throw .forbiddenGlobal(file: source, offset: opcodeStart, global: "\(module).\(name)")
        }
        return PickleGlobal(module: module, name: name)
    }

    /// REDUCE / NEWOBJ: describes the call; dict types give an empty dict.
    private mutating func call(_ callable: PickleValue, _ args: PickleValue, opcode: String) throws(WeightsError) -> PickleValue {
        guard case .global(let g) = callable else { throw typeError(opcode, "an allow-listed global", callable) }
        guard case .tuple(let t) = args else { throw typeError(opcode, "an argument tuple", args) }
        switch PickleGlobals.role(module: g.module, name: g.name) {
        case .dictType:
            guard t.items.isEmpty else { throw fail("\(g.qualifiedName) called with arguments (only the empty form is read)") }
            return .dict(PickleDict(typeName: g.qualifiedName))
        case .described, nil:
            try adopt(args, parentDepth: t.depth + 1)
            return .object(PickleObject(callable: g, args: t.items, depth: t.depth + 1))
        }
    }

    /// BUILD: `__setstate__` recorded, not run. Once per object.
    private mutating func build(_ target: PickleValue, _ state: PickleValue) throws(WeightsError) {
        switch target {
        case .object(let o):
            guard !o.frozen else { throw fail("BUILD on an object that is already part of another value") }
            guard o.state == nil else { throw fail("BUILD twice on \(o.callable.qualifiedName)") }
            if case .object(let s) = state, s === o { throw fail("an object cannot be its own state") }
            let depth = max(o.depth, state.depth + 1)
            try adopt(state, parentDepth: depth)
            o.depth = depth
            o.state = state
        case .dict(let d):
            guard !d.frozen, d.attributes == nil else { throw fail("BUILD on a dict that is already built or part of another value") }
            if case .dict(let s) = state, s === d { throw fail("a dict cannot be its own state") }
            let depth = max(d.depth, state.depth + 1)
            try adopt(state, parentDepth: depth)
            d.depth = depth
            d.attributes = state
        default:
            throw typeError("BUILD", "an object", target)
        }
    }

    // MARK: - Errors

    private func fail(_ reason: String) -> WeightsError {
        .invalidPickle(file: source, offset: opcodeStart, reason: reason)
    }

    private func truncated() -> WeightsError {
        .invalidPickle(file: source, offset: opcodeStart, reason: "truncated (input ends inside an opcode)")
    }

    private func limit(_ what: String, _ value: Int) -> WeightsError {
        .pickleLimit(file: source, offset: opcodeStart, limit: what, value: value)
    }

    private func typeError(_ opcode: String, _ expected: String, _ found: PickleValue) -> WeightsError {
        fail("\(opcode) needs \(expected), found \(found.kindName)")
    }
}
