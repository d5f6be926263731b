// MARK: - PickleReader

/// The public face of the restricted pickle reader: describes one pickle
/// (protocols 2 to 5) without executing anything. Used by the fuzz target
/// and by anyone who wants to look inside an upstream file.
public enum PickleReader {
    /// The described object of the pickle at the start of `bytes`, and the offset after its STOP.
    public static func describe(_ bytes: UnsafeRawBufferPointer, source: String,
                                limits: PickleLimits = PickleLimits()) throws(WeightsError) -> (value: PickleValue, end: Int) {
        try PickleMachine.load(bytes, source: source, limits: limits)
    }
}
