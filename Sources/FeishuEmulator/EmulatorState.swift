import Foundation

/// Everything the emulator knows, owned by one actor and split by area into value types: ``AdminState`` (apps and
/// their tokens, clock, rate windows, faults, counters), ``ContactState`` (the org and the contact APIs),
/// ``OAuthState`` (codes and user tokens), ``QRLoginState`` (the QR login's sessions and temp codes), ``IMState``
/// (messages, chats, images, card callbacks), ``JSSDKState`` (JSAPI tickets) and ``ApprovalState`` (third-party
/// approval definitions, instances and their tasks, quick-approval callbacks).
/// Each API call runs to completion inside the actor, so calls are atomic like single database transactions; the
/// actor authenticates, applies limits and faults, and hands the call to its area with what the area borrows.
public actor EmulatorState {
    /// Who is calling a business API: the app, and for a user token also the user.
    struct Caller: Sendable {
        var appID: String
        var kind: TokenKind
        var userKey: Int?
    }

    let configuration: EmulatorConfiguration
    var admin: AdminState
    var contact: ContactState
    var oauth: OAuthState
    var im = IMState()
    var jssdk = JSSDKState()
    var qrLogin = QRLoginState()
    var approval = ApprovalState()
    /// Pushes contact events to the apps' event URLs (`Events/`); a service of the emulator's application.
    public nonisolated let eventPush: EventPush
    /// The long connection's server end (`LongConnection/`).
    public nonisolated let longConnections: LongConnectionHub
    /// The `create_time` of the last event, in ms: each event's is later.
    var lastEventTime: Int64 = 0

    public init(configuration: EmulatorConfiguration, faults: EmulatorFaults = EmulatorFaults()) {
        self.configuration = configuration
        self.admin = AdminState(configuration: configuration, faults: faults)
        let hub = LongConnectionHub()
        self.longConnections = hub
        self.eventPush = EventPush(hub: hub)
        var contact = ContactState(org: OrgBuilder.build(configuration), seats: configuration.seats)
        _ = contact.org.drainChanges()  // the org as built is the start, not a change
        self.contact = contact
        self.oauth = OAuthState(tokenLifetime: Double(configuration.tokenLifetime))
    }

    // MARK: entry point

    func handle(_ call: APICall) -> EmulatorResponse {
        defer { publishContactEvents() }
        admin.counters.calls[call.endpoint.rawValue, default: 0] += 1
        if call.endpoint.isTokenEndpoint {
            return admin.issueToken(call, lifetime: Double(configuration.tokenLifetime), org: &contact.org)
        }
        if call.endpoint.isOAuthPage { return authorizePage(call) }
        if call.endpoint.isQRLoginPage { return qrLoginPage(call) }
        if call.endpoint == .oauthToken { return oauthToken(call) }

        let caller: Caller
        switch authenticate(call.headers["authorization"], accepted: call.endpoint.acceptedTokens) {
        case .success(let found): caller = found
        case .failure(let error): return failure(error, call: call)
        }
        if let limited = admin.rateLimit(appID: caller.appID, call: call) { return limited }
        if !admin.faults.errorAfterApply, let fault = admin.injectFault(call) { return fault }
        let response: EmulatorResponse
        do {
            let data = try perform(call, caller: caller)
            var answer: [String: JSON] = ["code": 0, "msg": .string(call.endpoint.successMessage), "data": data]
            if call.endpoint.sendsMessageField { answer["message"] = .string(call.endpoint.successMessage) }
            response = EmulatorResponse(status: 200, body: .json(.object(answer)))
        } catch {
            response = failure(error, call: call)
        }
        if admin.faults.errorAfterApply, let fault = admin.injectFault(call) { return fault }
        return response
    }

    func failure(_ error: APIError, call: APICall) -> EmulatorResponse {
        admin.countError(call)
        var errorObject: [String: JSON] = [
            "log_id": .string(call.logID),
            "troubleshooter": .string("https://open.feishu.cn/search?from=openapi&code=\(error.code)&page_referer=emulator"),
        ]
        if !error.fieldViolations.isEmpty {
            errorObject["field_violations"] = .array(error.fieldViolations.map { violation in
                var item: [String: JSON] = ["field": .string(violation.field), "description": .string(violation.description)]
                if let value = violation.value { item["value"] = .string(value) }
                return .object(item)
            })
        }
        var answer: [String: JSON] = ["code": .int(error.code), "msg": .string(error.msg), "error": .object(errorObject)]
        if call.endpoint.sendsMessageField { answer["message"] = .string(error.msg) }
        return EmulatorResponse(status: error.httpStatus, body: .json(.object(answer)))
    }

    /// Hands a business call to its area.
    private func perform(_ call: APICall, caller: Caller) throws(APIError) -> JSON {
        let appID = caller.appID
        guard let app = admin.apps[appID]?.config else {
            throw APIError(code: 99991663, msg: "Invalid access token for authorization. Please make a request with token attached.")
        }
        switch call.endpoint {
        case .tenantAccessToken, .appAccessToken: return [:]  // answered by AdminState.issueToken
        case .authorize, .authorizeIndex, .passportAuthorize, .oauthToken: return [:]  // answered by authorizePage / oauthToken
        case .qrLoginScript, .qrLoginFrame, .qrLoginPoll, .qrLoginScan, .qrLoginConfirm: return [:]  // answered by qrLoginPage
        case .oidcAccessToken: return try exchangeCodeV1(call, appID: appID, withProfile: false)
        case .legacyAccessToken: return try exchangeCodeV1(call, appID: appID, withProfile: true)
        case .oidcRefreshAccessToken: return try refreshV1(call, appID: appID, withProfile: false)
        case .legacyRefreshAccessToken: return try refreshV1(call, appID: appID, withProfile: true)
        case .userInfo: return try userInfo(caller)
        case .departmentGet, .departmentBatch, .departmentChildren, .departmentParent, .departmentCreate, .departmentPatch,
             .departmentUpdate, .departmentDelete, .departmentUpdateID, .userGet, .userBatch, .userFindByDepartment,
             .userBatchGetID, .userCreate, .userPatch, .userUpdate, .userDelete, .userResurrect, .userUpdateID, .scopeList:
            return try contact.perform(call, app: app)
        case .messageCreate:
            return try im.createMessage(call, app: app, org: &contact.org, now: admin.now) { admin.throttles(call, $0) }
        case .messagePatch:
            return try im.patchMessage(call, appID: appID, now: admin.now) { admin.throttles(call, $0) }
        case .messageGet: return try im.getMessage(call, appID: appID, tenantKey: contact.org.tenantKey)
        case .imageCreate: return try im.uploadImage(call, appID: appID, org: &contact.org)
        case .jssdkTicket:
            return jssdk.ticket(appID: appID, now: admin.now, lifetime: Double(configuration.tokenLifetime), org: &contact.org)
        case .externalApprovalCreate, .externalApprovalGet, .externalInstanceCreate, .externalInstanceCheck, .externalTaskList:
            return try approval.perform(call, appID: appID, org: &contact.org)
        }
    }

    /// Checks `Authorization: Bearer …` against the token kinds the API takes (`feishu-api.md` §1.4–1.5):
    /// missing → 99991661; unknown or expired tenant/app token, or a tenant/app token where only user tokens are
    /// taken → 99991663; an app-token-only API given a tenant token → 99991664; unknown user token, or a user token
    /// where none is taken ("user access token not support") → 99991668; expired user token → 99991677.
    private func authenticate(_ header: String?, accepted: Set<TokenKind>) -> Result<Caller, APIError> {
        let invalid = "Invalid access token for authorization. Please make a request with token attached."
        guard let header, header.hasPrefix("Bearer "), case let token = header.dropFirst(7).trimmingCharacters(in: .whitespaces),
              !token.isEmpty
        else {
            return .failure(APIError(code: 99991661,
                                     msg: "Missing access token for authorization. Please make a request with token attached."))
        }
        let now = admin.now
        if let record = admin.tokens[token], record.expiresAt > now {
            if accepted.contains(record.kind) { return .success(Caller(appID: record.appID, kind: record.kind)) }
            if accepted == [.app] { return .failure(APIError(code: 99991664, msg: "invalid app_access_token")) }
            return .failure(APIError(code: 99991663, msg: invalid))
        }
        if let record = oauth.userTokens[token] {
            guard record.expiresAt > now else {
                return .failure(APIError(code: 99991677, msg: "user access token expired"))
            }
            guard accepted.contains(.user) else {
                return .failure(APIError(code: 99991668, msg: "user access token not support"))
            }
            return .success(Caller(appID: record.appID, kind: .user, userKey: record.userKey))
        }
        if token.hasPrefix("u-") || token.hasPrefix("eyJ") {
            return .failure(APIError(code: 99991668, msg: invalid))
        }
        return .failure(APIError(code: 99991663, msg: invalid))
    }
}
