// MARK: - StyleGANImporter

/// msg-stylegan-tf / StyleGAN v1 network pickles to FORMAT.md's `msg-stylegan`
/// tensors, through one table of name rules (as stylegan2-ada-pytorch's
/// legacy.py does): every variable is matched by exactly one rule, any
/// variable no rule matches is an error, and `ModelFile` then refuses any
/// tensor the config does not imply (FORMAT.md's ignored ones aside).
enum StyleGANImporter {
    static let expected = "MSG-StyleGAN"

    /// Where a rule's variables come from.
    enum Scope: Equatable {
        /// `Gs`'s own variables.
        case own
        /// `Gs.components[key]`, a Network that must be named `networkName`.
        case component(key: String, networkName: String)
    }

    /// The name rules: scope -> prefix of the FORMAT.md name; `drop` lists the
    /// variables of that scope that are deliberately left out.
    static let rules: [(scope: Scope, prefix: String, drop: Set<String>)] = [
        // dlatent_avg, and `lod`: G_style's progressive-growing level, which Gs.run
        // assigns to G_synthesis/lod before rendering (ProgressiveLod reads both).
        (.own, "", []),
        // Dense{k}/weight, Dense{k}/bias.
        (.component(key: "mapping", networkName: "G_mapping"), "G_mapping/", []),
        // {r}x{r}/..., ToRGB_lod{n}/..., noise{l}, lod (ignored by the loader, FORMAT.md).
        (.component(key: "synthesis", networkName: "G_synthesis"), "G_synthesis/", []),
    ]

    /// FORMAT.md config keys, plus the upstream kwargs the config parser checks.
    static let configKeys: [String] = [
        "resolution", "latent_size", "dlatent_size", "mapping_layers", "mapping_fmaps", "mapping_lrmul",
        "fmap_base", "fmap_decay", "fmap_max", "use_wscale", "use_noise", "use_instance_norm",
        "use_pixel_norm", "use_styles", "const_input_layer", "blur_filter", "fused_scale",
        "truncation_psi", "truncation_cutoff",
        "structure", "dtype", "is_training", "is_validation",
        "num_channels", "label_size", "nonlinearity", "mapping_nonlinearity", "normalize_latents",
    ]

    struct Result {
        let entries: [SafeTensorsWriter.PendingEntry]
        let configJSON: String
        let notes: [String]
    }

    static func convert(root: PickleValue, in data: UnsafeRawBufferPointer, source: String) throws(WeightsError) -> Result {
        var notes: [String] = []
        let gsValue: PickleValue
        if let items = root.tupleItems {
            guard items.count == 3 else {
                throw .notAGenerator(file: source, expected: expected, found: "a tuple of \(items.count), expected (G, D, Gs)")
            }
            gsValue = items[2]
            notes.append("Gs of the (G, D, Gs) tuple")
        } else if case .object = root {
            gsValue = root
        } else {
            throw .notAGenerator(file: source, expected: expected, found: "\(root.kindName) at the top level, expected (G, D, Gs) or a Network")
        }
        let gs = try TFNetworkPickle(gsValue, path: "Gs", source: source)
        guard !gs.components.isEmpty else {
            throw .notAGenerator(file: source, expected: expected, found: "network '\(gs.name)' with no mapping/synthesis components (a discriminator?)")
        }

        // Variables through the rule table.
        var tensors: [(name: String, tensor: UpstreamTensor)] = []
        var usedComponents = Set<String>()
        for rule in rules {
            let network: TFNetworkPickle
            switch rule.scope {
            case .own:
                network = gs
            case let .component(key, networkName):
                guard let c = gs.components.first(where: { $0.key == key })?.network else {
                    throw .notAGenerator(file: source, expected: expected, found: "network '\(gs.name)' without a '\(key)' component")
                }
                guard c.name == networkName else {
                    throw .invalidCheckpoint(file: source, key: "Gs.components.\(key)", reason: "network is named '\(c.name)', expected '\(networkName)'")
                }
                guard c.componentCount == 0 else {
                    throw .invalidCheckpoint(file: source, key: "Gs.components.\(key)", reason: "has \(c.componentCount) nested components (G_mapping and G_synthesis have none)")
                }
                usedComponents.insert(key)
                network = c
            }
            for (name, value) in network.variables where !rule.drop.contains(name) {
                let t = try TFNetworkPickle.array(value, name: rule.prefix + name, source: source, in: data)
                tensors.append((rule.prefix + name, t))
            }
        }
        for c in gs.components where !usedComponents.contains(c.key) {
            throw .invalidCheckpoint(file: source, key: "Gs.components.\(c.key)", reason: "component '\(c.network.name)' is not part of an MSG-StyleGAN generator")
        }

        // Config: Gs's static kwargs, then what G_style passed its components explicitly.
        var kwargs: [String: PickleValue] = [:]
        for network in [gs] + gs.components.map(\.network) {
            for (k, v) in network.staticKwargs where kwargs[k] == nil { kwargs[k] = v }
        }
        var members: [(String, String)] = []
        for key in configKeys {
            guard let v = kwargs[key] else { continue }
            guard let json = jsonValue(v) else {
                throw .invalidCheckpoint(file: source, key: "static_kwargs.\(key)", reason: "value \(v.kindName) has no JSON form")
            }
            members.append((key, json))
        }

        var entries: [SafeTensorsWriter.PendingEntry] = []
        var names = Set<String>()
        var converted = 0
        for (name, t) in tensors {
            guard names.insert(name).inserted else { throw .invalidCheckpoint(file: source, key: name, reason: "variable appears twice") }
            guard let e = t.entry(name: name) else {
                throw .invalidCheckpoint(file: source, key: name, reason: "array of \(t.element.name) (weights must be float32, float16 or float64)")
            }
            if t.element == .f64 { converted += 1 }
            entries.append(e)
        }
        if converted > 0 { notes.append("\(converted) float64 arrays rounded to F32") }
        return Result(entries: entries, configJSON: JSONText.object(members), notes: notes)
    }

    /// int, float, bool, None, str and flat lists/tuples of those, as JSON text.
    private static func jsonValue(_ v: PickleValue) -> String? {
        switch v {
        case .none: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .float(let d): return d.isFinite ? JSONText.number(d) : nil
        case .string(let s): return JSONText.quoted(s)
        case .tuple, .list:
            guard let items = v.tupleItems else { return nil }
            var parts: [String] = []
            for item in items {
                if case .tuple = item { return nil }
                if case .list = item { return nil }
                guard let j = jsonValue(item) else { return nil }
                parts.append(j)
            }
            return "[" + parts.joined(separator: ",") + "]"
        default: return nil
        }
    }
}
