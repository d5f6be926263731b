import Testing
@testable import MSGTensor

@Test func elementCountDetectsOverflow() {
    #expect(Tensor.elementCount([2, 3, 4]) == 24)
    #expect(Tensor.elementCount([Int.max, 2]) == nil)
    #expect(Tensor.elementCount([-1]) == nil)
}

@Test func sliceTakesFirstAxis() {
    let t = Tensor(shape: [2, 3], data: [1, 2, 3, 4, 5, 6])
    #expect(t.slice(1) == Tensor(shape: [3], data: [4, 5, 6]))
}
