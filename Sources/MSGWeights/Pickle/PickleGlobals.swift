// MARK: - PickleGlobals

/// The allow-list, as data: the only globals a pickle may name. Anything
/// else is refused with `WeightsError.forbiddenGlobal` naming it. An allowed
/// global is still never imported or called: REDUCE and NEWOBJ only record
/// "callable(args)" for the importers to interpret.
enum PickleGlobals {
    enum Role {
        /// A dict subclass: calling it gives an (empty) `PickleDict` of that type.
        case dictType
        /// A class or function whose call is described as a `PickleObject`.
        case described
    }

    static let allowed: [String: Role] = {
        var table: [String: Role] = [
            // torch.save state_dicts: containers, tensor rebuilds, storage types.
            "collections.OrderedDict": .dictType,
            "torch._utils._rebuild_tensor": .described,
            "torch._utils._rebuild_tensor_v2": .described,
            "torch._utils._rebuild_parameter": .described,
            // dnnlib (StyleGAN / msg-stylegan-tf network pickles).
            "dnnlib.tflib.network.Network": .described,
            "dnnlib.util.EasyDict": .dictType,
            // numpy arrays, dtypes and scalars.
            "numpy.ndarray": .described,
            "numpy.dtype": .described,
        ]
        for storage in torchStorageTypes.keys { table["torch.\(storage)"] = .described }
        // numpy moved numpy.core to numpy._core in 2.0; pickles carry either path.
        for core in ["numpy.core", "numpy._core"] {
            table["\(core).multiarray._reconstruct"] = .described
            table["\(core).multiarray.scalar"] = .described
            table["\(core).numeric._frombuffer"] = .described
        }
        return table
    }()

    /// torch storage classes and their element type: (safetensors-style name, bytes).
    static let torchStorageTypes: [String: (dtype: String, size: Int)] = [
        "FloatStorage": ("F32", 4), "HalfStorage": ("F16", 2), "BFloat16Storage": ("BF16", 2),
        "DoubleStorage": ("F64", 8), "LongStorage": ("I64", 8), "IntStorage": ("I32", 4),
        "ShortStorage": ("I16", 2), "CharStorage": ("I8", 1), "ByteStorage": ("U8", 1),
        "BoolStorage": ("BOOL", 1),
    ]

    static func role(module: String, name: String) -> Role? {
        allowed["\(module).\(name)"]
    }

    /// "numpy._core.multiarray._reconstruct" and "numpy.core.multiarray._reconstruct" are one function.
    static func isNumpy(_ g: PickleGlobal, _ module: String, _ name: String) -> Bool {
        g.name == name && (g.module == "numpy.core.\(module)" || g.module == "numpy._core.\(module)")
    }
}
