#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// libm through the C library (no Foundation in the library modules); Java's `Math.*` gives the
/// same results for these correctly rounded or near-correctly rounded functions.
enum Math {
    static func exp(_ x: Double) -> Double { cExp(x) }
    static func log(_ x: Double) -> Double { cLog(x) }
    static func log10(_ x: Double) -> Double { cLog10(x) }
    static func log2(_ x: Double) -> Double { cLog2(x) }
    static func pow(_ x: Double, _ y: Double) -> Double { cPow(x, y) }
}

@inline(__always) private func cExp(_ x: Double) -> Double { exp(x) }
@inline(__always) private func cLog(_ x: Double) -> Double { log(x) }
@inline(__always) private func cLog10(_ x: Double) -> Double { log10(x) }
@inline(__always) private func cLog2(_ x: Double) -> Double { log2(x) }
@inline(__always) private func cPow(_ x: Double, _ y: Double) -> Double { pow(x, y) }
