import MSGTensor

// MARK: - TFNetworkPickle

/// A `dnnlib.tflib.network.Network` as its pickle describes it (StyleGAN v1,
/// msg-stylegan-tf: `Network.__getstate__`, state version 2 or 3):
/// `{version, name, static_kwargs, components, build_module_src,
/// build_func_name, variables}`. `build_module_src` is Python source that
/// upstream's `__setstate__` executes; here it is never even read.
/// `variables` is a list of `(name, numpy.ndarray)` pairs.
struct TFNetworkPickle {
    let name: String
    let version: Int
    let staticKwargs: [(key: String, value: PickleValue)]
    /// Component key ("mapping", "synthesis") -> network, in pickle order
    /// (read one level deep: a component's own components are only counted).
    let components: [(key: String, network: TFNetworkPickle)]
    /// How many components the state lists (for components: never read further).
    let componentCount: Int
    /// Own variables, names relative to this network's scope, in pickle order.
    let variables: [(name: String, value: PickleValue)]

    static let className = "dnnlib.tflib.network.Network"

    /// Describes `value` as a Network, or explains why it is not one. `path`
    /// names the place in the file for errors ("Gs", "Gs.components.mapping").
    init(_ value: PickleValue, path: String, source: String, readComponents: Bool = true) throws(WeightsError) {
        func fail(_ reason: String) -> WeightsError { .invalidCheckpoint(file: source, key: path, reason: reason) }
        guard case .object(let o) = value, o.callable.qualifiedName == Self.className else {
            throw fail("expected a \(Self.className), found \(value.kindName)")
        }
        guard case .dict(let state)? = o.state else { throw fail("Network without a state dict") }
        guard let version = state["version"]?.intValue else { throw fail("state has no integer 'version'") }
        guard version == 2 || version == 3 else {
            throw fail("Network state version \(version) (StyleGAN v1 / msg-stylegan-tf write 2 or 3; 4 is StyleGAN2, not an MSG-StyleGAN)")
        }
        guard let name = state["name"]?.stringValue else { throw fail("state has no str 'name'") }
        self.name = name
        self.version = version

        var kwargs: [(String, PickleValue)] = []
        if let sk = state["static_kwargs"] {
            guard case .dict(let d) = sk else { throw fail("static_kwargs is \(sk.kindName), expected a dict") }
            for e in d.entries {
                guard let k = e.key.stringValue else { throw fail("static_kwargs has a non-str key (\(e.key.kindName))") }
                kwargs.append((k, e.value))
            }
        }
        staticKwargs = kwargs

        var components: [(String, TFNetworkPickle)] = []
        var componentCount = 0
        if let c = state["components"] {
            guard case .dict(let d) = c else { throw fail("components is \(c.kindName), expected a dict") }
            componentCount = d.entries.count
            // One level only: shared sub-networks could otherwise be walked exponentially often.
            for e in d.entries where readComponents {
                guard let k = e.key.stringValue else { throw fail("components has a non-str key (\(e.key.kindName))") }
                components.append((k, try TFNetworkPickle(e.value, path: "\(path).components.\(k)", source: source, readComponents: false)))
            }
        }
        self.components = components
        self.componentCount = componentCount

        guard let vars = state["variables"]?.tupleItems else { throw fail("state has no 'variables' list") }
        var variables: [(String, PickleValue)] = []
        for v in vars {
            guard let pair = v.tupleItems, pair.count == 2, let n = pair[0].stringValue else {
                throw fail("a variables entry is \(v.kindName), expected (name, array)")
            }
            variables.append((n, pair[1]))
        }
        self.variables = variables
    }

    // MARK: - numpy arrays

    /// A numpy array as pickled by numpy 1.x/2.x: `_reconstruct(ndarray, (0,), b'b')`
    /// + BUILD `(1, shape, dtype, is_fortran, rawdata)`, or protocol 5's
    /// `_frombuffer(buffer, dtype, shape, order)`. Only C order, little-endian.
    static func array(_ value: PickleValue, name: String, source: String, in data: UnsafeRawBufferPointer) throws(WeightsError) -> UpstreamTensor {
        func fail(_ reason: String) -> WeightsError { .invalidCheckpoint(file: source, key: name, reason: reason) }
        guard case .object(let o) = value else { throw fail("expected a numpy array, found \(value.kindName)") }
        let shapeValue: PickleValue, dtypeValue: PickleValue, raw: PickleValue
        if PickleGlobals.isNumpy(o.callable, "multiarray", "_reconstruct") {
            guard o.args.count == 3, case .global(let cls) = o.args[0], cls.qualifiedName == "numpy.ndarray" else {
                throw fail("_reconstruct of something other than numpy.ndarray")
            }
            guard let state = o.state?.tupleItems, state.count == 5 else { throw fail("ndarray state is not (version, shape, dtype, fortran, data)") }
            guard case .bool(false) = state[3] else { throw fail("Fortran-ordered arrays are not read") }
            (shapeValue, dtypeValue, raw) = (state[1], state[2], state[4])
        } else if PickleGlobals.isNumpy(o.callable, "numeric", "_frombuffer") {
            guard o.args.count == 4, o.args[3].stringValue == "C" else { throw fail("_frombuffer arguments are not (buffer, dtype, shape, 'C')") }
            (shapeValue, dtypeValue, raw) = (o.args[2], o.args[1], o.args[0])
        } else {
            throw fail("expected a numpy array, found \(value.kindName)")
        }
        guard let dims = shapeValue.tupleItems, let shape = Optional(dims.compactMap(\.intValue)), shape.count == dims.count,
              let count = Tensor.elementCount(shape) else { throw fail("array shape is \(shapeValue.kindName)") }
        let element = try dtype(dtypeValue, fail: fail)
        guard case .bytes(let range) = raw else { throw fail("array data is \(raw.kindName), expected bytes") }
        guard let size = element.size else { throw fail("array of \(element.name) (only float arrays are weights)") }
        let (needed, overflow) = count.multipliedReportingOverflow(by: size)
        guard !overflow, needed == range.count else {
            throw fail("array of shape \(shape) and \(element.name) needs \(overflow ? "too many" : String(needed)) bytes, has \(range.count)")
        }
        let input = UnsafeRawBufferPointer(rebasing: data[range])
        return UpstreamTensor(element: element, shape: shape, count: count) { out in out.copyMemory(from: input) }
    }

    /// `numpy.dtype('f4', False, True)` with state `(3, '<', ...)`.
    private static func dtype(_ value: PickleValue, fail: (String) -> WeightsError) throws(WeightsError) -> UpstreamTensor.Element {
        guard case .object(let o) = value, o.callable.qualifiedName == "numpy.dtype", let code = o.args.first?.stringValue else {
            throw fail("array dtype is \(value.kindName)")
        }
        if let state = o.state?.tupleItems, state.count >= 2, let order = state[1].stringValue, order == ">" {
            throw fail("big-endian arrays are not read")
        }
        switch code {
        case "f4": return .f32
        case "f2": return .f16
        case "f8": return .f64
        default: return .other(code)
        }
    }
}
