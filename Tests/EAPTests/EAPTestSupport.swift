import EAP
import Testing

/// Expects `body` to throw an `EAPError` with `code`; returns the error for further checks.
@discardableResult
func expectEAPError<Result>(
    _ code: EAPError.Code,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Result
) -> EAPError? {
    let error = #expect(throws: EAPError.self, sourceLocation: sourceLocation) { _ = try body() }
    #expect(error?.code == code, sourceLocation: sourceLocation)
    return error
}
