import Testing
@testable import MSGGen

@Test func MSGGenModuleLoads() { #expect(Bool(true)) }
