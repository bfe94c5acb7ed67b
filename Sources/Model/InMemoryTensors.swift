import Foundation
import TensorCore

/// Errors of in-memory tensor sources.
public enum InMemoryTensorsError: Error, LocalizedError, Equatable, Sendable {
    /// No tensor has this name.
    case unknownTensor(String)

    public var errorDescription: String? {
        switch self {
        case .unknownTensor(let name): return "In-memory tensor source has no tensor '\(name)'."
        }
    }
}

/// A `TensorSource` over Float32 arrays held in memory (tests, tiny models, modified weights).
///
/// Tensors keep insertion order; every tensor reports storage `.f32`.
public struct InMemoryTensors: TensorSource {
    private var order: [String] = []
    private var values: [String: (shape: [Int], data: [Float])] = [:]

    public init() {}

    /// Adds or replaces a tensor. - Precondition: `data.count` equals the product of `shape`.
    public mutating func set(_ name: String, shape: [Int], _ data: [Float]) {
        precondition(shape.reduce(1, *) == data.count,
                     "tensor \(name): \(data.count) values for shape \(shape)")
        if values[name] == nil { order.append(name) }
        values[name] = (shape, data)
    }

    /// Adds or replaces a matrix-shaped tensor ([rows, cols]).
    public mutating func set(_ name: String, _ matrix: Matrix) {
        set(name, shape: [matrix.rows, matrix.cols], matrix.data)
    }

    /// Copies every tensor of another source (decoded to Float32).
    public init(copying source: any TensorSource) throws {
        for info in source.tensorInfos { set(info.name, shape: info.shape, try source.floats(info.name)) }
    }

    public var tensorInfos: [TensorInfo] {
        order.map { TensorInfo(name: $0, shape: values[$0]!.shape, storage: .f32) }
    }

    public func floats(_ name: String) throws -> [Float] {
        guard let v = values[name] else { throw InMemoryTensorsError.unknownTensor(name) }
        return v.data
    }
}
