import Testing
@testable import MSGKernels

@Test func MSGKernelsModuleLoads() { #expect(Bool(true)) }
