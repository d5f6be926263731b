// MARK: - ModelFile

/// A generator weights file (FORMAT.md, version 1): the safetensors container,
/// its parsed config, and its descriptive metadata. Constructing one proves
/// the tensor set is exactly what the config describes, shapes included.
public struct ModelFile: Sendable {
    public static let formatKey = "msg-gen.format"
    public static let familyKey = "msg-gen.family"
    public static let configKey = "msg-gen.config"
    public static let nameKey = "msg-gen.name"
    public static let datasetKey = "msg-gen.dataset"
    public static let licenseKey = "msg-gen.license"
    public static let sourceKey = "msg-gen.source"
    public static let formatVersion = "1"

    public let file: SafeTensorsFile
    public let config: ModelConfig
    /// `msg-gen.name`, else the file name stem.
    public let name: String
    public let dataset: String?
    public let license: String?
    /// `msg-gen.source`: where the weights came from.
    public let sourceNote: String?
    /// The progressive-growing level a StyleGAN v1 snapshot was saved at
    /// (nil when the file stores none; always nil for msg-progan).
    public let progressiveLod: ProgressiveLod?

    /// The container the weights were read from: `.safetensors`, or the
    /// upstream one an imported file came in.
    public private(set) var container: WeightsContainer = .safetensors

    /// Opens and validates the file at `path`. The container is recognised by
    /// content: safetensors loads directly (header now, tensors read with
    /// `pread` when the engine asks); a BMSG-GAN `.pth` or a TF network `.pkl`
    /// is read into memory and imported (`ModelImporter`), exactly as
    /// `msg-gen convert` would write it. Content that is none of these is
    /// `.unrecognizedContent`, saying what it looks like.
    ///
    /// Never blocks on a FIFO and never dies of a signal when the file changes
    /// underneath it: see `WeightsFile`.
    public static func open(path: String) throws(WeightsError) -> ModelFile {
        let storage = try ByteStorage.open(path: path)
        let head = try storage.prefix(ContentSniffer.prefixLength)
        let container = head.withUnsafeBytes { WeightsContainer.detect($0) }
        if container == .safetensors {
            if let what = ContentSniffer.foreignContent(head, fileSize: storage.count) {
                throw .unrecognizedContent(file: path, what: what)
            }
            let file: SafeTensorsFile
            do {
                file = try SafeTensorsFile(storage: storage, source: path)
            } catch .offsetsOutOfRange(_, let tensor, let end, let dataSize) {
                throw .unrecognizedContent(file: path, what: "a truncated safetensors file: \(storage.count) bytes, its header places tensor '\(tensor)' up to byte \(storage.count - dataSize + end) (copy or download it again)")
            }
            return try ModelFile(file: file, fallbackName: fileStem(path))
        }
        let converted = try ModelImporter.convert(bytes: try storage.allBytes(), label: path)
        var model = try ModelFile(file: try SafeTensorsFile(bytes: converted.bytes, source: path), fallbackName: fileStem(path))
        model.container = container
        return model
    }

    /// Validates metadata, config and the tensor set.
    public init(file: SafeTensorsFile, fallbackName: String) throws(WeightsError) {
        try self.init(file: file, fallbackName: fallbackName, readingValues: true)
    }

    /// `readingValues: false` checks names, shapes and metadata only: what an
    /// import validates before any tensor data exists (`ModelImporter`); the
    /// values that change the picture (the progressive-growing level) are read
    /// when the converted file is opened.
    init(file: SafeTensorsFile, fallbackName: String, readingValues: Bool) throws(WeightsError) {
        let source = file.source
        func required(_ key: String) throws(WeightsError) -> String {
            guard let value = file.metadata[key] else { throw .missingMetadataKey(file: source, key: key) }
            return value
        }
        let version = try required(Self.formatKey)
        guard version == Self.formatVersion else { throw .unsupportedFormat(file: source, version: version) }
        let familyName = try required(Self.familyKey)
        guard let family = ModelFamily(rawValue: familyName) else { throw .unknownFamily(file: source, family: familyName) }
        let config = try ModelConfig.parse(family: family, json: try required(Self.configKey), source: source)
        try TensorSetCheck.run(file: file, config: config)

        self.file = file
        self.config = config
        let named = file.metadata[Self.nameKey] ?? ""
        self.name = named.isEmpty ? fallbackName : named
        self.dataset = file.metadata[Self.datasetKey]
        self.license = file.metadata[Self.licenseKey]
        self.sourceNote = file.metadata[Self.sourceKey]
        if case .styleGAN(let c) = config, readingValues {
            self.progressiveLod = try ProgressiveLod.read(file: file, config: c)
        } else {
            self.progressiveLod = nil
        }
    }

    /// Elements in all tensors the generator uses (stored noise and
    /// `dlatent_avg` included; ignored upstream leftovers not).
    public var parameterCount: Int {
        let ignored = config.family.ignoredTensorNames
        return file.tensors.values.reduce(0) { ignored.contains($1.name) ? $0 : $0 + $1.elementCount }
    }

    /// The tensor's values as F32.
    public func floats(_ name: String) throws(WeightsError) -> [Float] {
        try file.floats(name)
    }

    /// "dir/faces-128.safetensors" -> "faces-128".
    static func fileStem(_ path: String) -> String {
        let base = path.split(separator: "/", omittingEmptySubsequences: true).last.map(String.init) ?? path
        guard let dot = base.lastIndex(of: "."), dot != base.startIndex else { return base }
        return String(base[..<dot])
    }
}
