import Foundation

/// `POST /open-apis/im/v1/images` (`feishu-api.md` §4.2): multipart `image_type` (`message` or `avatar`) and `image`,
/// at most 10 MB, not empty, a JPG/PNG/WEBP/GIF/BMP/ICO/TIFF/HEIC file → `image_key`. Errors follow the upload page's
/// codes: 234001 bad parameter, 234006 too large, 234010 empty, 234011 not an image.
extension IMState {
    static let imageLimit = 10 * 1024 * 1024

    mutating func uploadImage(_ call: APICall, appID: String, org: inout Org) throws(APIError) -> JSON {
        func refuse(_ code: Int, _ detail: String, field: String = "image") -> APIError {
            APIError(code: code, msg: detail, fieldViolations: [.init(field: field, value: nil, description: detail)])
        }
        guard let contentType = call.headers["content-type"], let parts = MultipartBody.parse(call.body, contentType: contentType) else {
            throw refuse(234001, "Invalid request param: the body must be multipart/form-data with image_type and image")
        }
        guard let typePart = parts.first(where: { $0.name == "image_type" }) else {
            throw refuse(234001, "Invalid request param: image_type is required (message or avatar)", field: "image_type")
        }
        let imageType = String(decoding: typePart.body, as: UTF8.self)
        guard imageType == "message" || imageType == "avatar" else {
            throw refuse(234001, "Invalid request param: image_type must be message or avatar, not \(imageType)", field: "image_type")
        }
        guard let image = parts.first(where: { $0.name == "image" }) else {
            throw refuse(234001, "Invalid request param: the image file is required")
        }
        guard !image.body.isEmpty else { throw refuse(234010, "File's size can't be 0.") }
        guard image.body.count <= Self.imageLimit else {
            throw refuse(234006, "The file size exceeds the limit: images are at most 10 MB (\(image.body.count) bytes).")
        }
        guard let format = Self.imageFormat(image.body) else {
            throw refuse(234011, "Can't recognize image format: JPG, JPEG, PNG, WEBP, GIF, BMP, ICO, TIFF and HEIC are supported.")
        }
        var key = "img_v3_" + org.newHex(32)
        while images[key] != nil { key = "img_v3_" + org.newHex(32) }
        images[key] = Image(key: key, appID: appID, imageType: imageType, format: format, size: image.body.count)
        return ["image_key": .string(key)]
    }

    /// The format from the file's first bytes (magic numbers), `nil` when it is none the platform takes.
    static func imageFormat(_ data: Data) -> String? {
        let bytes = [UInt8](data.prefix(16))
        func starts(_ prefix: [UInt8], at offset: Int = 0) -> Bool {
            bytes.count >= offset + prefix.count && Array(bytes[offset..<offset + prefix.count]) == prefix
        }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "png" }
        if starts([0xFF, 0xD8, 0xFF]) { return "jpeg" }
        if starts(Array("GIF87a".utf8)) || starts(Array("GIF89a".utf8)) { return "gif" }
        if starts(Array("RIFF".utf8)) && starts(Array("WEBP".utf8), at: 8) { return "webp" }
        if starts(Array("BM".utf8)) { return "bmp" }
        if starts([0x49, 0x49, 0x2A, 0x00]) || starts([0x4D, 0x4D, 0x00, 0x2A]) { return "tiff" }
        if starts([0x00, 0x00, 0x01, 0x00]) { return "ico" }
        if starts(Array("ftyp".utf8), at: 4), bytes.count >= 12,
           ["heic", "heix", "hevc", "hevx", "mif1", "msf1"].contains(String(decoding: bytes[8..<12], as: UTF8.self))
        {
            return "heic"
        }
        return nil
    }
}
