import Testing
@testable import MSGImage

@Test func MSGImageModuleLoads() { #expect(Bool(true)) }
