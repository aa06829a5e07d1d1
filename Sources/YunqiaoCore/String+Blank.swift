extension String {
    /// nil for the empty string: an optional input left blank counts as not given.
    public var nilIfEmpty: String? { isEmpty ? nil : self }
}
