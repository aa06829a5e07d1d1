import Foundation

extension JSONBody {
    /// The field of the first number in `data` that `T` cannot hold (`1.5` or `1e30` for an `Int64`), as a field path
    /// (`targets[3].enterpriseId`); nil when the body fails for another reason (it is not JSON).
    ///
    /// Swift 6's `JSONDecoder` reports such a number as "not valid JSON" with no coding path (swift-foundation#1604), so
    /// the field is found here: with every number from the `k`-th on replaced by `0` (which any numeric type holds), the
    /// body decodes past its numbers for `k = 0` and fails as before for all of them; a bisection finds the `k` at which
    /// putting back one number makes it fail. That costs log₂(numbers) decodes, on the error path only.
    static func misfitNumber<T: Decodable>(_ type: T.Type, in data: Data) -> String? {
        let bytes = [UInt8](data)
        guard let numbers = JSONNumberScan.numbers(in: bytes), !numbers.isEmpty else { return nil }
        /// Whether the body with the numbers from `kept` on set to 0 still fails without a coding path.
        func fails(keeping kept: Int) -> Bool {
            var text: [UInt8] = []
            text.reserveCapacity(bytes.count)
            var copied = 0
            for number in numbers[kept...] {
                text += bytes[copied..<number.range.lowerBound]
                text.append(UInt8(ascii: "0"))
                copied = number.range.upperBound
            }
            text += bytes[copied...]
            do {
                _ = try JSONDecoder().decode(type, from: Data(text))
                return false
            } catch DecodingError.dataCorrupted(let context) {
                return context.codingPath.isEmpty
            } catch {
                return false
            }
        }
        guard !fails(keeping: 0) else { return nil }
        var fits = 0  // the numbers before it put back: no failure
        var misfits = numbers.count  // all put back: the failure (the body as sent)
        while misfits - fits > 1 {
            let middle = (fits + misfits) / 2
            if fails(keeping: middle) { misfits = middle } else { fits = middle }
        }
        return numbers[misfits - 1].path
    }
}

/// The numbers of a JSON text with where each one is, read in one pass over its bytes (as ``JSONNesting``, without
/// parsing values).
enum JSONNumberScan {
    struct Number: Equatable {
        /// Its bytes in the text.
        var range: Range<Int>
        /// `fields[0].label` (as ``APIError/fieldPath(_:)`` writes it); `body` for a number that is the whole text.
        var path: String
    }

    private enum Frame {
        case object(key: String?)
        case array(index: Int)
    }

    /// The numbers in text order, or nil when the text is not JSON as far as this reads it (the decoder says why).
    static func numbers(in bytes: [UInt8]) -> [Number]? {
        var numbers: [Number] = []
        var frames: [Frame] = []
        var expectingKey = false
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "{"):
                frames.append(.object(key: nil))
                expectingKey = true
            case UInt8(ascii: "["):
                frames.append(.array(index: 0))
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                guard frames.popLast() != nil else { return nil }
                expectingKey = false
            case UInt8(ascii: ","):
                switch frames.last {
                case .array(let position): frames[frames.count - 1] = .array(index: position + 1)
                case .object: expectingKey = true
                case nil: return nil
                }
            case UInt8(ascii: "\""):
                guard let end = stringEnd(in: bytes, from: index) else { return nil }
                if expectingKey, case .object = frames.last {
                    let raw = Data(bytes[index...end])
                    let key = (try? JSONDecoder().decode(String.self, from: raw)) ?? String(decoding: bytes[(index + 1)..<end], as: UTF8.self)
                    frames[frames.count - 1] = .object(key: key)
                    expectingKey = false
                }
                index = end
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                var end = index + 1
                while end < bytes.count, isNumberByte(bytes[end]) { end += 1 }
                numbers.append(Number(range: index..<end, path: path(frames)))
                index = end - 1
            default:
                break  // whitespace, `:`, true, false, null
            }
            index += 1
        }
        return frames.isEmpty ? numbers : nil
    }

    /// The index of the quote that ends the string starting at `start`, or nil when it does not end.
    private static func stringEnd(in bytes: [UInt8], from start: Int) -> Int? {
        var index = start + 1
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\\"): index += 2
            case UInt8(ascii: "\""): return index
            default: index += 1
            }
        }
        return nil
    }

    private static func isNumberByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: "e"),
             UInt8(ascii: "E"):
            true
        default:
            false
        }
    }

    private static func path(_ frames: [Frame]) -> String {
        var path = ""
        for frame in frames {
            switch frame {
            case .object(let key?): path += path.isEmpty ? key : ".\(key)"
            case .object(nil): break
            case .array(let index): path += "[\(index)]"
            }
        }
        return path.isEmpty ? "body" : path
    }
}
