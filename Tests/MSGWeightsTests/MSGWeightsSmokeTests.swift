import Testing
@testable import MSGWeights

@Test func MSGWeightsModuleLoads() { #expect(Bool(true)) }
