import { baseApi as api } from "./baseApi";
export const addTagTypes = [
  "admin",
  "auth",
  "health",
  "invites",
  "messages",
  "notifications",
  "orgs",
  "reports",
  "rooms",
  "members",
  "reads",
  "sessions",
  "users",
] as const;
const injectedRtkApi = api
  .enhanceEndpoints({
    addTagTypes,
  })
  .injectEndpoints({
    endpoints: (build) => ({
      listAudit: build.query<ListAuditApiResponse, ListAuditApiArg>({
        query: (queryArg) => ({
          url: `/api/admin/audit`,
          params: {
            limit: queryArg.limit,
            cursor: queryArg.cursor,
          },
        }),
        providesTags: ["admin"],
      }),
      listAdminRooms: build.query<
        ListAdminRoomsApiResponse,
        ListAdminRoomsApiArg
      >({
        query: (queryArg) => ({
          url: `/api/admin/rooms`,
          params: {
            q: queryArg.q,
            limit: queryArg.limit,
            cursor: queryArg.cursor,
          },
        }),
        providesTags: ["admin"],
      }),
      deleteAdminRoom: build.mutation<
        DeleteAdminRoomApiResponse,
        DeleteAdminRoomApiArg
      >({
        query: (queryArg) => ({
          url: `/api/admin/rooms/${queryArg.roomId}`,
          method: "DELETE",
        }),
        invalidatesTags: ["admin"],
      }),
      getStats: build.query<GetStatsApiResponse, GetStatsApiArg>({
        query: () => ({ url: `/api/admin/stats` }),
        providesTags: ["admin"],
      }),
      listAdminUsers: build.query<
        ListAdminUsersApiResponse,
        ListAdminUsersApiArg
      >({
        query: (queryArg) => ({
          url: `/api/admin/users`,
          params: {
            q: queryArg.q,
            limit: queryArg.limit,
            cursor: queryArg.cursor,
          },
        }),
        providesTags: ["admin"],
      }),
      deleteUser: build.mutation<DeleteUserApiResponse, DeleteUserApiArg>({
        query: (queryArg) => ({
          url: `/api/admin/users/${queryArg.userId}`,
          method: "DELETE",
        }),
        invalidatesTags: ["admin"],
      }),
      deactivateUser: build.mutation<
        DeactivateUserApiResponse,
        DeactivateUserApiArg
      >({
        query: (queryArg) => ({
          url: `/api/admin/users/${queryArg.userId}/deactivate`,
          method: "POST",
        }),
        invalidatesTags: ["admin"],
      }),
      demoteUser: build.mutation<DemoteUserApiResponse, DemoteUserApiArg>({
        query: (queryArg) => ({
          url: `/api/admin/users/${queryArg.userId}/demote`,
          method: "POST",
        }),
        invalidatesTags: ["admin"],
      }),
      exportUser: build.query<ExportUserApiResponse, ExportUserApiArg>({
        query: (queryArg) => ({
          url: `/api/admin/users/${queryArg.userId}/export`,
        }),
        providesTags: ["admin"],
      }),
      createPasswordResetLink: build.mutation<
        CreatePasswordResetLinkApiResponse,
        CreatePasswordResetLinkApiArg
      >({
        query: (queryArg) => ({
          url: `/api/admin/users/${queryArg.userId}/password-reset`,
          method: "POST",
        }),
        invalidatesTags: ["admin"],
      }),
      promoteUser: build.mutation<PromoteUserApiResponse, PromoteUserApiArg>({
        query: (queryArg) => ({
          url: `/api/admin/users/${queryArg.userId}/promote`,
          method: "POST",
        }),
        invalidatesTags: ["admin"],
      }),
      reactivateUser: build.mutation<
        ReactivateUserApiResponse,
        ReactivateUserApiArg
      >({
        query: (queryArg) => ({
          url: `/api/admin/users/${queryArg.userId}/reactivate`,
          method: "POST",
        }),
        invalidatesTags: ["admin"],
      }),
      verifyEmail: build.mutation<VerifyEmailApiResponse, VerifyEmailApiArg>({
        query: (queryArg) => ({
          url: `/api/email/verify`,
          method: "POST",
          body: queryArg.verifyEmailRequest,
        }),
        invalidatesTags: ["auth"],
      }),
      resendVerification: build.mutation<
        ResendVerificationApiResponse,
        ResendVerificationApiArg
      >({
        query: () => ({ url: `/api/email/verify/resend`, method: "POST" }),
        invalidatesTags: ["auth"],
      }),
      getHealth: build.query<GetHealthApiResponse, GetHealthApiArg>({
        query: () => ({ url: `/api/health` }),
        providesTags: ["health"],
      }),
      getInvite: build.query<GetInviteApiResponse, GetInviteApiArg>({
        query: (queryArg) => ({ url: `/api/invites/${queryArg.code}` }),
        providesTags: ["invites"],
      }),
      revokeInvite: build.mutation<RevokeInviteApiResponse, RevokeInviteApiArg>(
        {
          query: (queryArg) => ({
            url: `/api/invites/${queryArg.code}`,
            method: "DELETE",
          }),
          invalidatesTags: ["invites"],
        },
      ),
      acceptInvite: build.mutation<AcceptInviteApiResponse, AcceptInviteApiArg>(
        {
          query: (queryArg) => ({
            url: `/api/invites/${queryArg.code}/accept`,
            method: "POST",
          }),
          invalidatesTags: ["invites"],
        },
      ),
      loginUser: build.mutation<LoginUserApiResponse, LoginUserApiArg>({
        query: (queryArg) => ({
          url: `/api/login`,
          method: "POST",
          body: queryArg.loginRequest,
        }),
        invalidatesTags: ["auth"],
      }),
      logoutUser: build.mutation<LogoutUserApiResponse, LogoutUserApiArg>({
        query: (queryArg) => ({
          url: `/api/logout`,
          method: "POST",
          body: queryArg.body,
        }),
        invalidatesTags: ["auth"],
      }),
      logoutAllSessions: build.mutation<
        LogoutAllSessionsApiResponse,
        LogoutAllSessionsApiArg
      >({
        query: () => ({ url: `/api/logout/all`, method: "POST" }),
        invalidatesTags: ["auth"],
      }),
      createMessage: build.mutation<
        CreateMessageApiResponse,
        CreateMessageApiArg
      >({
        query: (queryArg) => ({
          url: `/api/messages`,
          method: "POST",
          body: queryArg.sendMessageRequest,
        }),
        invalidatesTags: ["messages"],
      }),
      listMessages: build.query<ListMessagesApiResponse, ListMessagesApiArg>({
        query: (queryArg) => ({
          url: `/api/messages/${queryArg.roomId}`,
          params: {
            before: queryArg.before,
            after: queryArg.after,
            around: queryArg.around,
            limit: queryArg.limit,
          },
        }),
        providesTags: ["messages"],
      }),
      deleteMessage: build.mutation<
        DeleteMessageApiResponse,
        DeleteMessageApiArg
      >({
        query: (queryArg) => ({
          url: `/api/messages/${queryArg.roomId}/${queryArg.seq}`,
          method: "DELETE",
        }),
        invalidatesTags: ["messages"],
      }),
      updateMessage: build.mutation<
        UpdateMessageApiResponse,
        UpdateMessageApiArg
      >({
        query: (queryArg) => ({
          url: `/api/messages/${queryArg.roomId}/${queryArg.seq}`,
          method: "PATCH",
          body: queryArg.editMessageRequest,
        }),
        invalidatesTags: ["messages"],
      }),
      listMessageEdits: build.query<
        ListMessageEditsApiResponse,
        ListMessageEditsApiArg
      >({
        query: (queryArg) => ({
          url: `/api/messages/${queryArg.roomId}/${queryArg.seq}/history`,
        }),
        providesTags: ["messages"],
      }),
      pinMessage: build.mutation<PinMessageApiResponse, PinMessageApiArg>({
        query: (queryArg) => ({
          url: `/api/messages/${queryArg.roomId}/${queryArg.seq}/pin`,
          method: "PUT",
        }),
        invalidatesTags: ["messages"],
      }),
      unpinMessage: build.mutation<UnpinMessageApiResponse, UnpinMessageApiArg>(
        {
          query: (queryArg) => ({
            url: `/api/messages/${queryArg.roomId}/${queryArg.seq}/pin`,
            method: "DELETE",
          }),
          invalidatesTags: ["messages"],
        },
      ),
      addReaction: build.mutation<AddReactionApiResponse, AddReactionApiArg>({
        query: (queryArg) => ({
          url: `/api/messages/${queryArg.roomId}/${queryArg.seq}/reactions/${queryArg.emoji}`,
          method: "PUT",
        }),
        invalidatesTags: ["messages"],
      }),
      removeReaction: build.mutation<
        RemoveReactionApiResponse,
        RemoveReactionApiArg
      >({
        query: (queryArg) => ({
          url: `/api/messages/${queryArg.roomId}/${queryArg.seq}/reactions/${queryArg.emoji}`,
          method: "DELETE",
        }),
        invalidatesTags: ["messages"],
      }),
      listThread: build.query<ListThreadApiResponse, ListThreadApiArg>({
        query: (queryArg) => ({
          url: `/api/messages/${queryArg.roomId}/${queryArg.seq}/thread`,
          params: {
            after: queryArg.after,
            limit: queryArg.limit,
          },
        }),
        providesTags: ["messages"],
      }),
      listNotifications: build.query<
        ListNotificationsApiResponse,
        ListNotificationsApiArg
      >({
        query: (queryArg) => ({
          url: `/api/notifications`,
          params: {
            limit: queryArg.limit,
            cursor: queryArg.cursor,
          },
        }),
        providesTags: ["notifications"],
      }),
      readNotifications: build.mutation<
        ReadNotificationsApiResponse,
        ReadNotificationsApiArg
      >({
        query: (queryArg) => ({
          url: `/api/notifications/read`,
          method: "POST",
          body: queryArg.readNotificationsRequest,
        }),
        invalidatesTags: ["notifications"],
      }),
      listOrgs: build.query<ListOrgsApiResponse, ListOrgsApiArg>({
        query: () => ({ url: `/api/orgs` }),
        providesTags: ["orgs"],
      }),
      createOrg: build.mutation<CreateOrgApiResponse, CreateOrgApiArg>({
        query: (queryArg) => ({
          url: `/api/orgs`,
          method: "POST",
          body: queryArg.createOrgRequest,
        }),
        invalidatesTags: ["orgs"],
      }),
      getOrg: build.query<GetOrgApiResponse, GetOrgApiArg>({
        query: (queryArg) => ({ url: `/api/orgs/${queryArg.orgId}` }),
        providesTags: ["orgs"],
      }),
      deleteOrg: build.mutation<DeleteOrgApiResponse, DeleteOrgApiArg>({
        query: (queryArg) => ({
          url: `/api/orgs/${queryArg.orgId}`,
          method: "DELETE",
        }),
        invalidatesTags: ["orgs"],
      }),
      updateOrg: build.mutation<UpdateOrgApiResponse, UpdateOrgApiArg>({
        query: (queryArg) => ({
          url: `/api/orgs/${queryArg.orgId}`,
          method: "PATCH",
          body: queryArg.updateOrgRequest,
        }),
        invalidatesTags: ["orgs"],
      }),
      listAnnouncements: build.query<
        ListAnnouncementsApiResponse,
        ListAnnouncementsApiArg
      >({
        query: (queryArg) => ({
          url: `/api/orgs/${queryArg.orgId}/announcements`,
          params: {
            limit: queryArg.limit,
            cursor: queryArg.cursor,
          },
        }),
        providesTags: ["orgs"],
      }),
      createAnnouncement: build.mutation<
        CreateAnnouncementApiResponse,
        CreateAnnouncementApiArg
      >({
        query: (queryArg) => ({
          url: `/api/orgs/${queryArg.orgId}/announcements`,
          method: "POST",
          body: queryArg.announcementRequest,
        }),
        invalidatesTags: ["orgs"],
      }),
      listOrgInvites: build.query<
        ListOrgInvitesApiResponse,
        ListOrgInvitesApiArg
      >({
        query: (queryArg) => ({ url: `/api/orgs/${queryArg.orgId}/invites` }),
        providesTags: ["invites"],
      }),
      createOrgInvite: build.mutation<
        CreateOrgInviteApiResponse,
        CreateOrgInviteApiArg
      >({
        query: (queryArg) => ({
          url: `/api/orgs/${queryArg.orgId}/invites`,
          method: "POST",
          body: queryArg.createInviteRequest,
        }),
        invalidatesTags: ["invites"],
      }),
      listOrgMembers: build.query<
        ListOrgMembersApiResponse,
        ListOrgMembersApiArg
      >({
        query: (queryArg) => ({
          url: `/api/orgs/${queryArg.orgId}/members`,
          params: {
            limit: queryArg.limit,
            cursor: queryArg.cursor,
          },
        }),
        providesTags: ["orgs"],
      }),
      addOrgMember: build.mutation<AddOrgMemberApiResponse, AddOrgMemberApiArg>(
        {
          query: (queryArg) => ({
            url: `/api/orgs/${queryArg.orgId}/members`,
            method: "POST",
            body: queryArg.userIdRequest,
          }),
          invalidatesTags: ["orgs"],
        },
      ),
      removeOrgMember: build.mutation<
        RemoveOrgMemberApiResponse,
        RemoveOrgMemberApiArg
      >({
        query: (queryArg) => ({
          url: `/api/orgs/${queryArg.orgId}/members/${queryArg.userId}`,
          method: "DELETE",
        }),
        invalidatesTags: ["orgs"],
      }),
      updateOrgMember: build.mutation<
        UpdateOrgMemberApiResponse,
        UpdateOrgMemberApiArg
      >({
        query: (queryArg) => ({
          url: `/api/orgs/${queryArg.orgId}/members/${queryArg.userId}`,
          method: "PATCH",
          body: queryArg.roleRequest,
        }),
        invalidatesTags: ["orgs"],
      }),
      forgotPassword: build.mutation<
        ForgotPasswordApiResponse,
        ForgotPasswordApiArg
      >({
        query: (queryArg) => ({
          url: `/api/password/forgot`,
          method: "POST",
          body: queryArg.forgotPasswordRequest,
        }),
        invalidatesTags: ["auth"],
      }),
      resetPassword: build.mutation<
        ResetPasswordApiResponse,
        ResetPasswordApiArg
      >({
        query: (queryArg) => ({
          url: `/api/password/reset`,
          method: "POST",
          body: queryArg.resetPasswordRequest,
        }),
        invalidatesTags: ["auth"],
      }),
      registerUser: build.mutation<RegisterUserApiResponse, RegisterUserApiArg>(
        {
          query: (queryArg) => ({
            url: `/api/register`,
            method: "POST",
            body: queryArg.registerRequest,
          }),
          invalidatesTags: ["auth"],
        },
      ),
      listReports: build.query<ListReportsApiResponse, ListReportsApiArg>({
        query: (queryArg) => ({
          url: `/api/reports`,
          params: {
            status: queryArg.status,
            limit: queryArg.limit,
            cursor: queryArg.cursor,
          },
        }),
        providesTags: ["reports"],
      }),
      createReport: build.mutation<CreateReportApiResponse, CreateReportApiArg>(
        {
          query: (queryArg) => ({
            url: `/api/reports`,
            method: "POST",
            body: queryArg.createReportRequest,
          }),
          invalidatesTags: ["reports"],
        },
      ),
      handleReport: build.mutation<HandleReportApiResponse, HandleReportApiArg>(
        {
          query: (queryArg) => ({
            url: `/api/reports/${queryArg.reportId}/handle`,
            method: "POST",
            body: queryArg.handleReportRequest,
          }),
          invalidatesTags: ["reports"],
        },
      ),
      listRooms: build.query<ListRoomsApiResponse, ListRoomsApiArg>({
        query: () => ({ url: `/api/rooms` }),
        providesTags: ["rooms"],
      }),
      createRoom: build.mutation<CreateRoomApiResponse, CreateRoomApiArg>({
        query: (queryArg) => ({
          url: `/api/rooms`,
          method: "POST",
          body: queryArg.createRoomRequest,
        }),
        invalidatesTags: ["rooms"],
      }),
      openDirectRoom: build.mutation<
        OpenDirectRoomApiResponse,
        OpenDirectRoomApiArg
      >({
        query: (queryArg) => ({
          url: `/api/rooms/direct`,
          method: "POST",
          body: queryArg.directRequest,
        }),
        invalidatesTags: ["rooms"],
      }),
      listPublicRooms: build.query<
        ListPublicRoomsApiResponse,
        ListPublicRoomsApiArg
      >({
        query: (queryArg) => ({
          url: `/api/rooms/public`,
          params: {
            q: queryArg.q,
            limit: queryArg.limit,
            cursor: queryArg.cursor,
          },
        }),
        providesTags: ["rooms"],
      }),
      getRoom: build.query<GetRoomApiResponse, GetRoomApiArg>({
        query: (queryArg) => ({ url: `/api/rooms/${queryArg.roomId}` }),
        providesTags: ["rooms"],
      }),
      deleteRoom: build.mutation<DeleteRoomApiResponse, DeleteRoomApiArg>({
        query: (queryArg) => ({
          url: `/api/rooms/${queryArg.roomId}`,
          method: "DELETE",
        }),
        invalidatesTags: ["rooms"],
      }),
      updateRoom: build.mutation<UpdateRoomApiResponse, UpdateRoomApiArg>({
        query: (queryArg) => ({
          url: `/api/rooms/${queryArg.roomId}`,
          method: "PATCH",
          body: queryArg.updateRoomRequest,
        }),
        invalidatesTags: ["rooms"],
      }),
      listRoomBans: build.query<ListRoomBansApiResponse, ListRoomBansApiArg>({
        query: (queryArg) => ({ url: `/api/rooms/${queryArg.roomId}/bans` }),
        providesTags: ["members"],
      }),
      banRoomMember: build.mutation<
        BanRoomMemberApiResponse,
        BanRoomMemberApiArg
      >({
        query: (queryArg) => ({
          url: `/api/rooms/${queryArg.roomId}/bans`,
          method: "POST",
          body: queryArg.banRequest,
        }),
        invalidatesTags: ["members"],
      }),
      unbanRoomMember: build.mutation<
        UnbanRoomMemberApiResponse,
        UnbanRoomMemberApiArg
      >({
        query: (queryArg) => ({
          url: `/api/rooms/${queryArg.roomId}/bans/${queryArg.userId}`,
          method: "DELETE",
        }),
        invalidatesTags: ["members"],
      }),
      clearRoom: build.mutation<ClearRoomApiResponse, ClearRoomApiArg>({
        query: (queryArg) => ({
          url: `/api/rooms/${queryArg.roomId}/clear`,
          method: "POST",
        }),
        invalidatesTags: ["reads"],
      }),
      listRoomEvents: build.query<
        ListRoomEventsApiResponse,
        ListRoomEventsApiArg
      >({
        query: (queryArg) => ({
          url: `/api/rooms/${queryArg.roomId}/events`,
          params: {
            after: queryArg.after,
            limit: queryArg.limit,
          },
        }),
        providesTags: ["rooms"],
      }),
      listRoomInvites: build.query<
        ListRoomInvitesApiResponse,
        ListRoomInvitesApiArg
      >({
        query: (queryArg) => ({ url: `/api/rooms/${queryArg.roomId}/invites` }),
        providesTags: ["invites"],
      }),
      createRoomInvite: build.mutation<
        CreateRoomInviteApiResponse,
        CreateRoomInviteApiArg
      >({
        query: (queryArg) => ({
          url: `/api/rooms/${queryArg.roomId}/invites`,
          method: "POST",
          body: queryArg.createInviteRequest,
        }),
        invalidatesTags: ["invites"],
      }),
      joinRoom: build.mutation<JoinRoomApiResponse, JoinRoomApiArg>({
        query: (queryArg) => ({
          url: `/api/rooms/${queryArg.roomId}/join`,
          method: "POST",
        }),
        invalidatesTags: ["rooms"],
      }),
      leaveRoom: build.mutation<LeaveRoomApiResponse, LeaveRoomApiArg>({
        query: (queryArg) => ({
          url: `/api/rooms/${queryArg.roomId}/leave`,
          method: "POST",
        }),
        invalidatesTags: ["rooms"],
      }),
      listRoomMembers: build.query<
        ListRoomMembersApiResponse,
        ListRoomMembersApiArg
      >({
        query: (queryArg) => ({
          url: `/api/rooms/${queryArg.roomId}/members`,
          params: {
            limit: queryArg.limit,
            cursor: queryArg.cursor,
          },
        }),
        providesTags: ["members"],
      }),
      addRoomMember: build.mutation<
        AddRoomMemberApiResponse,
        AddRoomMemberApiArg
      >({
        query: (queryArg) => ({
          url: `/api/rooms/${queryArg.roomId}/members`,
          method: "POST",
          body: queryArg.userIdRequest,
        }),
        invalidatesTags: ["members"],
      }),
      removeRoomMember: build.mutation<
        RemoveRoomMemberApiResponse,
        RemoveRoomMemberApiArg
      >({
        query: (queryArg) => ({
          url: `/api/rooms/${queryArg.roomId}/members/${queryArg.userId}`,
          method: "DELETE",
        }),
        invalidatesTags: ["members"],
      }),
      updateRoomMember: build.mutation<
        UpdateRoomMemberApiResponse,
        UpdateRoomMemberApiArg
      >({
        query: (queryArg) => ({
          url: `/api/rooms/${queryArg.roomId}/members/${queryArg.userId}`,
          method: "PATCH",
          body: queryArg.roleRequest,
        }),
        invalidatesTags: ["members"],
      }),
      updateMembership: build.mutation<
        UpdateMembershipApiResponse,
        UpdateMembershipApiArg
      >({
        query: (queryArg) => ({
          url: `/api/rooms/${queryArg.roomId}/membership`,
          method: "PATCH",
          body: queryArg.membershipRequest,
        }),
        invalidatesTags: ["reads"],
      }),
      listPins: build.query<ListPinsApiResponse, ListPinsApiArg>({
        query: (queryArg) => ({ url: `/api/rooms/${queryArg.roomId}/pins` }),
        providesTags: ["messages"],
      }),
      markRead: build.mutation<MarkReadApiResponse, MarkReadApiArg>({
        query: (queryArg) => ({
          url: `/api/rooms/${queryArg.roomId}/read`,
          method: "POST",
          body: queryArg.readRequest,
        }),
        invalidatesTags: ["reads"],
      }),
      listReads: build.query<ListReadsApiResponse, ListReadsApiArg>({
        query: (queryArg) => ({ url: `/api/rooms/${queryArg.roomId}/reads` }),
        providesTags: ["reads"],
      }),
      transferRoom: build.mutation<TransferRoomApiResponse, TransferRoomApiArg>(
        {
          query: (queryArg) => ({
            url: `/api/rooms/${queryArg.roomId}/transfer`,
            method: "POST",
            body: queryArg.userIdRequest,
          }),
          invalidatesTags: ["rooms"],
        },
      ),
      searchMessages: build.query<
        SearchMessagesApiResponse,
        SearchMessagesApiArg
      >({
        query: (queryArg) => ({
          url: `/api/search`,
          params: {
            q: queryArg.q,
            room_id: queryArg.roomId,
            limit: queryArg.limit,
            cursor: queryArg.cursor,
          },
        }),
        providesTags: ["messages"],
      }),
      listSessions: build.query<ListSessionsApiResponse, ListSessionsApiArg>({
        query: () => ({ url: `/api/sessions` }),
        providesTags: ["sessions"],
      }),
      deleteOtherSessions: build.mutation<
        DeleteOtherSessionsApiResponse,
        DeleteOtherSessionsApiArg
      >({
        query: () => ({ url: `/api/sessions`, method: "DELETE" }),
        invalidatesTags: ["sessions"],
      }),
      deleteSession: build.mutation<
        DeleteSessionApiResponse,
        DeleteSessionApiArg
      >({
        query: (queryArg) => ({
          url: `/api/sessions/${queryArg.sessionId}`,
          method: "DELETE",
        }),
        invalidatesTags: ["sessions"],
      }),
      refreshToken: build.mutation<RefreshTokenApiResponse, RefreshTokenApiArg>(
        {
          query: (queryArg) => ({
            url: `/api/token/refresh`,
            method: "POST",
            body: queryArg.refreshRequest,
          }),
          invalidatesTags: ["auth"],
        },
      ),
      searchUsers: build.query<SearchUsersApiResponse, SearchUsersApiArg>({
        query: (queryArg) => ({
          url: `/api/users`,
          params: {
            q: queryArg.q,
            limit: queryArg.limit,
            cursor: queryArg.cursor,
          },
        }),
        providesTags: ["users"],
      }),
      getMe: build.query<GetMeApiResponse, GetMeApiArg>({
        query: () => ({ url: `/api/users/me` }),
        providesTags: ["users"],
      }),
      updateMe: build.mutation<UpdateMeApiResponse, UpdateMeApiArg>({
        query: (queryArg) => ({
          url: `/api/users/me`,
          method: "PATCH",
          body: queryArg.updateMeRequest,
        }),
        invalidatesTags: ["users"],
      }),
      listBlocks: build.query<ListBlocksApiResponse, ListBlocksApiArg>({
        query: () => ({ url: `/api/users/me/blocks` }),
        providesTags: ["users"],
      }),
      changePassword: build.mutation<
        ChangePasswordApiResponse,
        ChangePasswordApiArg
      >({
        query: (queryArg) => ({
          url: `/api/users/me/password`,
          method: "POST",
          body: queryArg.changePasswordRequest,
        }),
        invalidatesTags: ["users"],
      }),
      getUser: build.query<GetUserApiResponse, GetUserApiArg>({
        query: (queryArg) => ({ url: `/api/users/${queryArg.userId}` }),
        providesTags: ["users"],
      }),
      blockUser: build.mutation<BlockUserApiResponse, BlockUserApiArg>({
        query: (queryArg) => ({
          url: `/api/users/${queryArg.userId}/block`,
          method: "POST",
        }),
        invalidatesTags: ["users"],
      }),
      unblockUser: build.mutation<UnblockUserApiResponse, UnblockUserApiArg>({
        query: (queryArg) => ({
          url: `/api/users/${queryArg.userId}/block`,
          method: "DELETE",
        }),
        invalidatesTags: ["users"],
      }),
    }),
    overrideExisting: false,
  });
export { injectedRtkApi as parleyApi };
export type ListAuditApiResponse =
  /** status 200 A page of entries */ AuditPage;
export type ListAuditApiArg = {
  /** 1–100, default 50. */
  limit?: number;
  /** `next_cursor` of the previous page. */
  cursor?: string;
};
export type ListAdminRoomsApiResponse =
  /** status 200 A page of rooms */ AdminRoomPage;
export type ListAdminRoomsApiArg = {
  /** Part of the title, ignoring case. */
  q?: string;
  limit?: number;
  /** `next_cursor` of the previous page. */
  cursor?: string;
};
export type DeleteAdminRoomApiResponse = unknown;
export type DeleteAdminRoomApiArg = {
  /** Room id */
  roomId: number;
};
export type GetStatsApiResponse = /** status 200 Counts */ Stats;
export type GetStatsApiArg = void;
export type ListAdminUsersApiResponse =
  /** status 200 A page of users */ AdminUserPage;
export type ListAdminUsersApiArg = {
  /** Prefix of the username or display name, ignoring case. */
  q?: string;
  limit?: number;
  cursor?: string;
};
export type DeleteUserApiResponse = unknown;
export type DeleteUserApiArg = {
  /** User id */
  userId: number;
};
export type DeactivateUserApiResponse = unknown;
export type DeactivateUserApiArg = {
  /** User id */
  userId: number;
};
export type DemoteUserApiResponse = unknown;
export type DemoteUserApiArg = {
  userId: number;
};
export type ExportUserApiResponse = /** status 200 The export */ UserExport;
export type ExportUserApiArg = {
  /** User id */
  userId: number;
};
export type CreatePasswordResetLinkApiResponse =
  /** status 201 The link */ ResetLink;
export type CreatePasswordResetLinkApiArg = {
  /** User id */
  userId: number;
};
export type PromoteUserApiResponse = unknown;
export type PromoteUserApiArg = {
  userId: number;
};
export type ReactivateUserApiResponse = unknown;
export type ReactivateUserApiArg = {
  /** User id */
  userId: number;
};
export type VerifyEmailApiResponse = unknown;
export type VerifyEmailApiArg = {
  verifyEmailRequest: VerifyEmailRequest;
};
export type ResendVerificationApiResponse = unknown;
export type ResendVerificationApiArg = void;
export type GetHealthApiResponse = /** status 200 Serving */ Health;
export type GetHealthApiArg = void;
export type GetInviteApiResponse = /** status 200 The invite */ InvitePreview;
export type GetInviteApiArg = {
  code: string;
};
export type RevokeInviteApiResponse = unknown;
export type RevokeInviteApiArg = {
  code: string;
};
export type AcceptInviteApiResponse = /** status 200 Joined */ InviteAccepted;
export type AcceptInviteApiArg = {
  code: string;
};
export type LoginUserApiResponse = /** status 200 Signed in */ TokenPair;
export type LoginUserApiArg = {
  loginRequest: LoginRequest;
};
export type LogoutUserApiResponse = unknown;
export type LogoutUserApiArg = {
  /** Optional */
  body: LogoutRequest | null;
};
export type LogoutAllSessionsApiResponse = unknown;
export type LogoutAllSessionsApiArg = void;
export type CreateMessageApiResponse =
  | /** status 200 Already sent with this client_msg_id: the first message */ Message
  | /** status 201 Sent */ Message;
export type CreateMessageApiArg = {
  sendMessageRequest: SendMessageRequest;
};
export type ListMessagesApiResponse = /** status 200 A page */ MessagePage;
export type ListMessagesApiArg = {
  roomId: number;
  /** The `limit` messages just before this seq. */
  before?: number;
  /** The `limit` messages just after this seq (catch-up). */
  after?: number;
  /** Half before and half after this seq (jump to a message), the seq itself included. */
  around?: number;
  /** 1–100, default 50. */
  limit?: number;
};
export type DeleteMessageApiResponse = unknown;
export type DeleteMessageApiArg = {
  roomId: number;
  seq: number;
};
export type UpdateMessageApiResponse = /** status 200 Edited */ Message;
export type UpdateMessageApiArg = {
  roomId: number;
  seq: number;
  editMessageRequest: EditMessageRequest;
};
export type ListMessageEditsApiResponse =
  /** status 200 Previous bodies, oldest first */ MessageEditList;
export type ListMessageEditsApiArg = {
  roomId: number;
  seq: number;
};
export type PinMessageApiResponse = unknown;
export type PinMessageApiArg = {
  roomId: number;
  seq: number;
};
export type UnpinMessageApiResponse = unknown;
export type UnpinMessageApiArg = {
  roomId: number;
  seq: number;
};
export type AddReactionApiResponse = unknown;
export type AddReactionApiArg = {
  roomId: number;
  seq: number;
  emoji: string;
};
export type RemoveReactionApiResponse = unknown;
export type RemoveReactionApiArg = {
  roomId: number;
  seq: number;
  emoji: string;
};
export type ListThreadApiResponse = /** status 200 The thread */ ThreadPage;
export type ListThreadApiArg = {
  roomId: number;
  seq: number;
  /** Replies after this seq. */
  after?: number;
  limit?: number;
};
export type ListNotificationsApiResponse =
  /** status 200 Notifications */ NotificationPage;
export type ListNotificationsApiArg = {
  /** 1–100, default 50. */
  limit?: number;
  /** `next_cursor` of the previous page. */
  cursor?: string;
};
export type ReadNotificationsApiResponse = unknown;
export type ReadNotificationsApiArg = {
  readNotificationsRequest: ReadNotificationsRequest;
};
export type ListOrgsApiResponse = /** status 200 Organisations */ OrgList;
export type ListOrgsApiArg = void;
export type CreateOrgApiResponse = /** status 201 Created */ Org;
export type CreateOrgApiArg = {
  createOrgRequest: CreateOrgRequest;
};
export type GetOrgApiResponse = /** status 200 The organisation */ Org;
export type GetOrgApiArg = {
  orgId: number;
};
export type DeleteOrgApiResponse = unknown;
export type DeleteOrgApiArg = {
  orgId: number;
};
export type UpdateOrgApiResponse = /** status 200 Updated */ Org;
export type UpdateOrgApiArg = {
  orgId: number;
  updateOrgRequest: UpdateOrgRequest;
};
export type ListAnnouncementsApiResponse =
  /** status 200 A page of announcements */ AnnouncementPage;
export type ListAnnouncementsApiArg = {
  orgId: number;
  /** 1–100, default 50. */
  limit?: number;
  /** `next_cursor` of the previous page. */
  cursor?: string;
};
export type CreateAnnouncementApiResponse =
  /** status 201 Posted */ Announcement;
export type CreateAnnouncementApiArg = {
  orgId: number;
  announcementRequest: AnnouncementRequest;
};
export type ListOrgInvitesApiResponse =
  /** status 200 Live invites */ InviteList;
export type ListOrgInvitesApiArg = {
  orgId: number;
};
export type CreateOrgInviteApiResponse = /** status 201 Created */ Invite;
export type CreateOrgInviteApiArg = {
  orgId: number;
  createInviteRequest: CreateInviteRequest;
};
export type ListOrgMembersApiResponse =
  /** status 200 A page of members */ OrgMemberPage;
export type ListOrgMembersApiArg = {
  orgId: number;
  /** 1–100, default 50. */
  limit?: number;
  /** `next_cursor` of the previous page. */
  cursor?: string;
};
export type AddOrgMemberApiResponse = /** status 201 Added */ OrgMember;
export type AddOrgMemberApiArg = {
  orgId: number;
  userIdRequest: UserIdRequest;
};
export type RemoveOrgMemberApiResponse = unknown;
export type RemoveOrgMemberApiArg = {
  orgId: number;
  userId: number;
};
export type UpdateOrgMemberApiResponse = /** status 200 Updated */ OrgMember;
export type UpdateOrgMemberApiArg = {
  orgId: number;
  userId: number;
  roleRequest: RoleRequest;
};
export type ForgotPasswordApiResponse = unknown;
export type ForgotPasswordApiArg = {
  forgotPasswordRequest: ForgotPasswordRequest;
};
export type ResetPasswordApiResponse = unknown;
export type ResetPasswordApiArg = {
  resetPasswordRequest: ResetPasswordRequest;
};
export type RegisterUserApiResponse =
  /** status 201 Registered and signed in */ TokenPair;
export type RegisterUserApiArg = {
  registerRequest: RegisterRequest;
};
export type ListReportsApiResponse =
  /** status 200 A page of reports */ ReportPage;
export type ListReportsApiArg = {
  /** `open` (default), `resolved` or `dismissed`. */
  status?: string;
  limit?: number;
  cursor?: string;
};
export type CreateReportApiResponse = /** status 201 Reported */ Report;
export type CreateReportApiArg = {
  createReportRequest: CreateReportRequest;
};
export type HandleReportApiResponse = /** status 200 Handled */ Report;
export type HandleReportApiArg = {
  reportId: number;
  handleReportRequest: HandleReportRequest;
};
export type ListRoomsApiResponse = /** status 200 The rooms */ RoomList;
export type ListRoomsApiArg = void;
export type CreateRoomApiResponse = /** status 201 Created */ RoomView;
export type CreateRoomApiArg = {
  createRoomRequest: CreateRoomRequest;
};
export type OpenDirectRoomApiResponse =
  | /** status 200 The existing chat */ RoomView
  | /** status 201 A new chat */ RoomView;
export type OpenDirectRoomApiArg = {
  directRequest: DirectRequest;
};
export type ListPublicRoomsApiResponse =
  /** status 200 A page of rooms */ RoomPage;
export type ListPublicRoomsApiArg = {
  /** Part of the title, ignoring case. */
  q?: string;
  limit?: number;
  cursor?: string;
};
export type GetRoomApiResponse = /** status 200 The room */ RoomView;
export type GetRoomApiArg = {
  roomId: number;
};
export type DeleteRoomApiResponse = unknown;
export type DeleteRoomApiArg = {
  roomId: number;
};
export type UpdateRoomApiResponse = /** status 200 The updated room */ RoomView;
export type UpdateRoomApiArg = {
  roomId: number;
  updateRoomRequest: UpdateRoomRequest;
};
export type ListRoomBansApiResponse = /** status 200 The bans */ BanList;
export type ListRoomBansApiArg = {
  roomId: number;
};
export type BanRoomMemberApiResponse = unknown;
export type BanRoomMemberApiArg = {
  roomId: number;
  banRequest: BanRequest;
};
export type UnbanRoomMemberApiResponse = unknown;
export type UnbanRoomMemberApiArg = {
  roomId: number;
  userId: number;
};
export type ClearRoomApiResponse =
  /** status 200 The caller's membership */ Membership;
export type ClearRoomApiArg = {
  roomId: number;
};
export type ListRoomEventsApiResponse = /** status 200 Events */ EventPage;
export type ListRoomEventsApiArg = {
  roomId: number;
  /** Events after this `event_seq`. */
  after?: number;
  limit?: number;
};
export type ListRoomInvitesApiResponse =
  /** status 200 Live invites */ InviteList;
export type ListRoomInvitesApiArg = {
  roomId: number;
};
export type CreateRoomInviteApiResponse = /** status 201 Created */ Invite;
export type CreateRoomInviteApiArg = {
  roomId: number;
  createInviteRequest: CreateInviteRequest;
};
export type JoinRoomApiResponse = /** status 200 Joined */ RoomView;
export type JoinRoomApiArg = {
  roomId: number;
};
export type LeaveRoomApiResponse = unknown;
export type LeaveRoomApiArg = {
  roomId: number;
};
export type ListRoomMembersApiResponse =
  /** status 200 A page of members */ MemberPage;
export type ListRoomMembersApiArg = {
  roomId: number;
  /** 1–100, default 50. */
  limit?: number;
  /** `next_cursor` of the previous page. */
  cursor?: string;
};
export type AddRoomMemberApiResponse = /** status 201 Added */ Member;
export type AddRoomMemberApiArg = {
  roomId: number;
  userIdRequest: UserIdRequest;
};
export type RemoveRoomMemberApiResponse = unknown;
export type RemoveRoomMemberApiArg = {
  roomId: number;
  userId: number;
};
export type UpdateRoomMemberApiResponse = /** status 200 Updated */ Member;
export type UpdateRoomMemberApiArg = {
  roomId: number;
  userId: number;
  roleRequest: RoleRequest;
};
export type UpdateMembershipApiResponse =
  /** status 200 The caller's membership */ Membership;
export type UpdateMembershipApiArg = {
  roomId: number;
  membershipRequest: MembershipRequest;
};
export type ListPinsApiResponse = /** status 200 Pinned messages */ MessageList;
export type ListPinsApiArg = {
  roomId: number;
};
export type MarkReadApiResponse =
  /** status 200 The position now */ ReadPosition;
export type MarkReadApiArg = {
  roomId: number;
  readRequest: ReadRequest;
};
export type ListReadsApiResponse = /** status 200 Positions */ ReadList;
export type ListReadsApiArg = {
  roomId: number;
};
export type TransferRoomApiResponse = /** status 200 Transferred */ RoomView;
export type TransferRoomApiArg = {
  roomId: number;
  userIdRequest: UserIdRequest;
};
export type SearchMessagesApiResponse = /** status 200 Matches */ SearchPage;
export type SearchMessagesApiArg = {
  /** Words to find (all of them). */
  q: string;
  /** Only this room. */
  roomId?: number;
  limit?: number;
  cursor?: string;
};
export type ListSessionsApiResponse =
  /** status 200 Live sessions, most recently used first */ SessionList;
export type ListSessionsApiArg = void;
export type DeleteOtherSessionsApiResponse = unknown;
export type DeleteOtherSessionsApiArg = void;
export type DeleteSessionApiResponse = unknown;
export type DeleteSessionApiArg = {
  /** Session id */
  sessionId: number;
};
export type RefreshTokenApiResponse =
  /** status 200 New token pair */ TokenPair;
export type RefreshTokenApiArg = {
  refreshRequest: RefreshRequest;
};
export type SearchUsersApiResponse =
  /** status 200 A page of users */ PublicUserPage;
export type SearchUsersApiArg = {
  /** Prefix of the username or display name, ignoring case. */
  q?: string;
  /** 1–100, default 20. */
  limit?: number;
  /** `next_cursor` of the previous page. */
  cursor?: string;
};
export type GetMeApiResponse = /** status 200 The caller's account */ User;
export type GetMeApiArg = void;
export type UpdateMeApiResponse = /** status 200 The updated account */ User;
export type UpdateMeApiArg = {
  updateMeRequest: UpdateMeRequest;
};
export type ListBlocksApiResponse = /** status 200 Blocked users */ BlockList;
export type ListBlocksApiArg = void;
export type ChangePasswordApiResponse = unknown;
export type ChangePasswordApiArg = {
  changePasswordRequest: ChangePasswordRequest;
};
export type GetUserApiResponse = /** status 200 The user */ PublicUser;
export type GetUserApiArg = {
  /** User id */
  userId: number;
};
export type BlockUserApiResponse = unknown;
export type BlockUserApiArg = {
  userId: number;
};
export type UnblockUserApiResponse = unknown;
export type UnblockUserApiArg = {
  userId: number;
};
export type AuditEntry = {
  /** `user.deactivate`, `user.reactivate`, `user.promote`, `user.demote`,
    `user.reset_link`, `user.delete`, `user.export`, `room.delete`. */
  action: string;
  /** The administrator; `null` for the operator's command line (`parley admin ...`). */
  actor_id?: number | null;
  created_at: string;
  detail: string;
  id: number;
  target_id: number;
  target_type: string;
};
export type AuditPage = {
  items: AuditEntry[];
  next_cursor?: string | null;
};
export type Problem = {
  /** Stable snake_case error code: `bad_request`, `unauthorized`, `invalid_credentials`,
    `token_expired`, `forbidden`, `not_found`, `method_not_allowed`, `conflict`,
    `payload_too_large`, `unsupported_media_type`, `validation_failed`, `rate_limited`,
    `service_unavailable`, `internal_error`. */
  code: string;
  detail: string;
  /** Validation errors only: every failing field with its messages. */
  errors?:
    | {
        [key: string]: string[];
      }
    | {
        [key: string]: string[];
      };
  status: number;
  title: string;
  /** `urn:parley:problem:{code}`. */
  type: string;
};
export type AdminRoom = {
  archived: boolean;
  created_at: string;
  created_by: number;
  id: number;
  /** `group` or `direct`. */
  kind: string;
  member_count: number;
  /** Messages ever posted (the room's last seq; deleted ones included). */
  message_count: number;
  org_id?: number | null;
  /** Empty for direct chats. */
  title: string;
  visibility: string;
};
export type AdminRoomPage = {
  items: AdminRoom[];
  next_cursor?: string | null;
};
export type Stats = {
  /** Open sockets on the instance that answered. */
  connections: number;
  /** Server instances alive (heartbeats through Redis); 1 without Redis, and `null`
    when Redis is configured but cannot be asked. */
  instances?: number | null;
  messages: number;
  rooms: number;
  users: number;
};
export type AdminUser = {
  created_at: string;
  display_name: string;
  email: string;
  id: number;
  is_active: boolean;
  is_admin: boolean;
  username: string;
};
export type AdminUserPage = {
  items: AdminUser[];
  next_cursor?: string | null;
};
export type ExportedMessage = {
  body: string;
  created_at: string;
  edited_at?: string | null;
  /** The thread root's seq, for a reply. */
  parent_seq?: number | null;
  room_id: number;
  seq: number;
};
export type ExportedMembership = {
  id: number;
  joined_at: string;
  name: string;
  role: string;
};
export type ExportedSession = {
  created_at: string;
  id: number;
  ip?: string | null;
  last_used_at: string;
  revoked: boolean;
  user_agent?: string | null;
};
export type ExportedUser = {
  avatar_url?: string | null;
  bio: string;
  created_at: string;
  deleted_at?: string | null;
  display_name: string;
  email: string;
  email_verified: boolean;
  id: number;
  is_active: boolean;
  is_admin: boolean;
  last_seen_at?: string | null;
  username: string;
};
export type UserExport = {
  exported_at: string;
  /** Every message the user wrote that is not deleted, room by room in seq order. */
  messages: ExportedMessage[];
  organisations: ExportedMembership[];
  rooms: ExportedMembership[];
  sessions: ExportedSession[];
  user: ExportedUser;
};
export type ResetLink = {
  expires_at: string;
  /** Hand this to the user; it works once. */
  url: string;
};
export type VerifyEmailRequest = {
  /** The code from the mail. */
  token: string;
};
export type Health = {
  /** `ok` or `down`. */
  database: string;
  /** `ok`, `down`, or `disabled` when `REDIS_URL` is unset. */
  redis: string;
  /** `ok`, or `degraded` when Redis is down (this instance still serves its own sockets). */
  status: string;
};
export type PublicUser = {
  avatar_url?: string | null;
  bio: string;
  created_at: string;
  /** Present (and true) only for an account an administrator deleted: its messages
    remain as tombstones attributed to "Deleted user". */
  deleted?: boolean;
  display_name: string;
  id: number;
  /** Whether the user has a socket open anywhere (in profile and member answers; not
    in events, where `presence` events carry it). */
  online?: boolean | null;
  username: string;
};
export type Org = {
  created_at: string;
  created_by: number;
  description: string;
  id: number;
  member_count: number;
  name: string;
  /** The caller's role; null for non-members. */
  role?: string | null;
};
export type Room = {
  archived: boolean;
  created_at: string;
  created_by: number;
  description: string;
  id: number;
  /** `group` or `direct`. */
  kind: string;
  /** Seq of the newest event in the room's log. */
  last_event_seq: number;
  /** Seq of the newest message (0 when empty). */
  last_seq: number;
  member_count: number;
  org_id?: number | null;
  /** For direct chats, the other members' display names (per viewer; empty in events). */
  title: string;
  /** `public` or `private` (direct chats are always private). */
  visibility: string;
};
export type InvitePreview = {
  code: string;
  expires_at?: string | null;
  inviter: PublicUser;
  org?: Org | null;
  room?: Room | null;
};
export type Membership = {
  /** Messages up to this seq are hidden for the caller (cleared history). */
  cleared_before_seq: number;
  joined_at: string;
  /** Highest seq the caller has read. */
  last_read_seq: number;
  /** `all`, `mentions` or `none`; null for the default. */
  notify?: string | null;
  /** `owner`, `admin` or `member`. */
  role: string;
};
export type RoomView = Room & {
  membership?: Membership | null;
};
export type InviteAccepted = {
  org?: Org | null;
  room?: RoomView | null;
};
export type User = {
  avatar_url?: string | null;
  bio: string;
  created_at: string;
  display_name: string;
  email: string;
  email_verified: boolean;
  id: number;
  is_admin: boolean;
  username: string;
};
export type TokenPair = {
  /** JWT for `Authorization: Bearer`. */
  access_token: string;
  /** Seconds until `access_token` expires. */
  expires_in: number;
  /** Opaque, single use: each refresh answers a new one and spends this one. */
  refresh_token: string;
  /** Always `Bearer`. */
  token_type: string;
  user: User;
};
export type LoginRequest = {
  password: string;
  /** Username or email. */
  username: string;
};
export type LogoutRequest = {
  /** Also end the session of this refresh token (if it is the caller's). */
  refresh_token?: string | null;
};
export type Author = {
  display_name: string;
  id: number;
  username: string;
};
export type Reaction = {
  count: number;
  emoji: string;
  /** Whether the caller reacted with it; absent in events (clients derive it). */
  me?: boolean | null;
};
export type Message = {
  author: Author;
  body: string;
  client_msg_id?: string | null;
  created_at: string;
  deleted: boolean;
  edited_at?: string | null;
  id: number;
  last_reply_at?: string | null;
  /** The thread root this message replies to. */
  parent_seq?: number | null;
  /** Reactions by emoji, in the order they first appeared. */
  reactions: Reaction[];
  /** Replies to this message (when it is a thread root). */
  reply_count: number;
  room_id: number;
  seq: number;
};
export type SendMessageRequest = {
  /** 1–4000 characters after trimming; no control characters but newline and tab.
    `message` is accepted as an alias. */
  body: string;
  /** Makes the send idempotent per author: sending it again answers the first message (200). */
  client_msg_id?: string | null;
  /** Reply in the thread of this message (replies to a reply join its root's thread). */
  parent_seq?: number | null;
  room_id: number;
};
export type MessagePage = {
  /** More messages in the paging direction: older for the newest page and `before`,
    newer for `after`, either side for `around`. */
  has_more: boolean;
  has_newer: boolean;
  has_older: boolean;
  items: Message[];
};
export type EditMessageRequest = {
  body: string;
};
export type MessageEdit = {
  body: string;
  /** When this body was replaced. */
  edited_at: string;
};
export type MessageEditList = {
  items: MessageEdit[];
};
export type ThreadPage = {
  has_more: boolean;
  /** Replies, oldest first. */
  items: Message[];
  /** The thread's root message. */
  root: Message;
};
export type Notification = {
  actor?: Author | null;
  /** An excerpt of what it is about. */
  body: string;
  created_at: string;
  id: number;
  /** `mention`, `direct`, `invite` or `announcement`. */
  kind: string;
  read: boolean;
  room_id?: number | null;
  seq?: number | null;
};
export type NotificationPage = {
  items: Notification[];
  next_cursor?: string | null;
};
export type ReadNotificationsRequest = {
  all?: boolean;
  /** These notifications; omit (or `"all": true`) for all of them. */
  ids?: number[] | null;
};
export type OrgList = {
  items: Org[];
};
export type CreateOrgRequest = {
  description?: string | null;
  /** 1–100 characters after trimming. */
  name: string;
};
export type UpdateOrgRequest = {
  description?: string | null;
  name?: string | null;
};
export type Announcement = {
  author: Author;
  body: string;
  created_at: string;
  id: number;
  org_id: number;
};
export type AnnouncementPage = {
  items: Announcement[];
  next_cursor?: string | null;
};
export type AnnouncementRequest = {
  /** 1–4000 characters after trimming. */
  body: string;
};
export type Invite = {
  code: string;
  created_at: string;
  created_by: number;
  expires_at?: string | null;
  max_uses?: number | null;
  org_id?: number | null;
  room_id?: number | null;
  /** Where the SPA accepts it. */
  url: string;
  uses: number;
};
export type InviteList = {
  items: Invite[];
};
export type CreateInviteRequest = {
  /** Lifetime in seconds (1 minute to 30 days); none: never expires. */
  expires_in_secs?: number | null;
  /** How many times it may be accepted (1–1000); none: unlimited. */
  max_uses?: number | null;
};
export type OrgMember = {
  joined_at: string;
  role: string;
  user: PublicUser;
};
export type OrgMemberPage = {
  items: OrgMember[];
  next_cursor?: string | null;
};
export type UserIdRequest = {
  user_id: number;
};
export type RoleRequest = {
  /** `member` or `admin` (ownership moves with the transfer endpoint). */
  role: string;
};
export type ForgotPasswordRequest = {
  email: string;
};
export type ResetPasswordRequest = {
  new_password: string;
  token: string;
};
export type RegisterRequest = {
  /** 1–64 characters; defaults to the username. */
  display_name?: string | null;
  /** A valid address, unique ignoring case. */
  email: string;
  /** 8–128 characters; very common passwords are refused. */
  password: string;
  /** 3–32 of `[A-Za-z0-9_.-]`, unique ignoring case. */
  username: string;
};
export type Report = {
  created_at: string;
  handled_at?: string | null;
  handled_by?: number | null;
  id: number;
  reason: string;
  reporter_id: number;
  /** With `seq`: the reported message. */
  room_id?: number | null;
  seq?: number | null;
  /** `open`, `resolved` or `dismissed`. */
  status: string;
  /** The reported user. */
  user_id?: number | null;
};
export type ReportPage = {
  items: Report[];
  next_cursor?: string | null;
};
export type CreateReportRequest = {
  /** 1–1000 characters. */
  reason: string;
  /** With `seq`: report that message. */
  room_id?: number | null;
  seq?: number | null;
  /** Or: report this user. */
  user_id?: number | null;
};
export type HandleReportRequest = {
  /** `resolved` or `dismissed`. */
  status: string;
};
export type RoomListItem = Room & {
  last_message?: Message | null;
  membership: Membership;
  /** Messages by others after the caller's read position. */
  unread_count: number;
};
export type RoomList = {
  items: RoomListItem[];
};
export type CreateRoomRequest = {
  /** Up to 1000 characters. */
  description?: string | null;
  /** Create the room inside this organisation (the caller must belong to it). */
  org_id?: number | null;
  /** 1–100 characters after trimming. */
  title: string;
  /** `public` (default) or `private`. */
  visibility?: string | null;
};
export type DirectRequest = {
  /** The other person of a one-on-one chat. */
  user_id?: number | null;
  /** The others of a group direct chat (up to 9, 10 people in all). */
  user_ids?: number[] | null;
};
export type RoomPage = {
  items: Room[];
  next_cursor?: string | null;
};
export type UpdateRoomRequest = {
  description?: string | null;
  title?: string | null;
  visibility?: string | null;
};
export type Ban = {
  banned_by: number;
  created_at: string;
  reason: string;
  user: PublicUser;
};
export type BanList = {
  items: Ban[];
};
export type BanRequest = {
  reason?: string | null;
  user_id: number;
};
export type EventPage = {
  has_more: boolean;
  /** Event frames exactly as the socket delivers them, ascending by `event_seq`. */
  items: any[];
  /** True when the log no longer reaches back to `after`: reload the room instead. */
  resync_required: boolean;
};
export type Member = {
  joined_at: string;
  last_read_seq: number;
  /** `owner`, `admin` or `member`. */
  role: string;
  user: PublicUser;
};
export type MemberPage = {
  items: Member[];
  next_cursor?: string | null;
};
export type MembershipRequest = {
  /** `all` (mentions, @here, @room, direct messages), `mentions` (@username and direct
    messages), `none` (muted), or null for the default (`all` in rooms under 20
    members and direct chats, else `mentions`). */
  notify?: string | null;
};
export type MessageList = {
  items: Message[];
};
export type ReadPosition = {
  last_read_seq: number;
};
export type ReadRequest = {
  /** Move backwards too ("mark unread"). */
  force?: boolean;
  /** The highest seq read. */
  seq: number;
};
export type MemberRead = {
  last_read_seq: number;
  user_id: number;
};
export type ReadList = {
  items: MemberRead[];
};
export type Highlight = {
  end: number;
  start: number;
};
export type SearchHit = {
  highlights: Highlight[];
  message: Message;
};
export type SearchPage = {
  items: SearchHit[];
  next_cursor?: string | null;
};
export type Session = {
  created_at: string;
  /** True for the session of the token making this request. */
  current: boolean;
  expires_at: string;
  id: number;
  ip?: string | null;
  /** Last login or token refresh in this session. */
  last_used_at: string;
  user_agent?: string | null;
};
export type SessionList = {
  items: Session[];
};
export type RefreshRequest = {
  refresh_token: string;
};
export type PublicUserPage = {
  items: PublicUser[];
  /** Pass as `cursor` for the next page; null on the last page. */
  next_cursor?: string | null;
};
export type UpdateMeRequest = {
  /** An `https://` or `http://` URL; `null` or `""` removes it. */
  avatar_url?: string | null;
  bio?: string | null;
  current_password?: string | null;
  display_name?: string | null;
  /** A new address: it replaces the current one once confirmed through the mailed link.
    Needs `current_password`. */
  email?: string | null;
};
export type BlockList = {
  items: PublicUser[];
};
export type ChangePasswordRequest = {
  current_password: string;
  new_password: string;
};
export const {
  useListAuditQuery,
  useLazyListAuditQuery,
  useListAdminRoomsQuery,
  useLazyListAdminRoomsQuery,
  useDeleteAdminRoomMutation,
  useGetStatsQuery,
  useLazyGetStatsQuery,
  useListAdminUsersQuery,
  useLazyListAdminUsersQuery,
  useDeleteUserMutation,
  useDeactivateUserMutation,
  useDemoteUserMutation,
  useExportUserQuery,
  useLazyExportUserQuery,
  useCreatePasswordResetLinkMutation,
  usePromoteUserMutation,
  useReactivateUserMutation,
  useVerifyEmailMutation,
  useResendVerificationMutation,
  useGetHealthQuery,
  useLazyGetHealthQuery,
  useGetInviteQuery,
  useLazyGetInviteQuery,
  useRevokeInviteMutation,
  useAcceptInviteMutation,
  useLoginUserMutation,
  useLogoutUserMutation,
  useLogoutAllSessionsMutation,
  useCreateMessageMutation,
  useListMessagesQuery,
  useLazyListMessagesQuery,
  useDeleteMessageMutation,
  useUpdateMessageMutation,
  useListMessageEditsQuery,
  useLazyListMessageEditsQuery,
  usePinMessageMutation,
  useUnpinMessageMutation,
  useAddReactionMutation,
  useRemoveReactionMutation,
  useListThreadQuery,
  useLazyListThreadQuery,
  useListNotificationsQuery,
  useLazyListNotificationsQuery,
  useReadNotificationsMutation,
  useListOrgsQuery,
  useLazyListOrgsQuery,
  useCreateOrgMutation,
  useGetOrgQuery,
  useLazyGetOrgQuery,
  useDeleteOrgMutation,
  useUpdateOrgMutation,
  useListAnnouncementsQuery,
  useLazyListAnnouncementsQuery,
  useCreateAnnouncementMutation,
  useListOrgInvitesQuery,
  useLazyListOrgInvitesQuery,
  useCreateOrgInviteMutation,
  useListOrgMembersQuery,
  useLazyListOrgMembersQuery,
  useAddOrgMemberMutation,
  useRemoveOrgMemberMutation,
  useUpdateOrgMemberMutation,
  useForgotPasswordMutation,
  useResetPasswordMutation,
  useRegisterUserMutation,
  useListReportsQuery,
  useLazyListReportsQuery,
  useCreateReportMutation,
  useHandleReportMutation,
  useListRoomsQuery,
  useLazyListRoomsQuery,
  useCreateRoomMutation,
  useOpenDirectRoomMutation,
  useListPublicRoomsQuery,
  useLazyListPublicRoomsQuery,
  useGetRoomQuery,
  useLazyGetRoomQuery,
  useDeleteRoomMutation,
  useUpdateRoomMutation,
  useListRoomBansQuery,
  useLazyListRoomBansQuery,
  useBanRoomMemberMutation,
  useUnbanRoomMemberMutation,
  useClearRoomMutation,
  useListRoomEventsQuery,
  useLazyListRoomEventsQuery,
  useListRoomInvitesQuery,
  useLazyListRoomInvitesQuery,
  useCreateRoomInviteMutation,
  useJoinRoomMutation,
  useLeaveRoomMutation,
  useListRoomMembersQuery,
  useLazyListRoomMembersQuery,
  useAddRoomMemberMutation,
  useRemoveRoomMemberMutation,
  useUpdateRoomMemberMutation,
  useUpdateMembershipMutation,
  useListPinsQuery,
  useLazyListPinsQuery,
  useMarkReadMutation,
  useListReadsQuery,
  useLazyListReadsQuery,
  useTransferRoomMutation,
  useSearchMessagesQuery,
  useLazySearchMessagesQuery,
  useListSessionsQuery,
  useLazyListSessionsQuery,
  useDeleteOtherSessionsMutation,
  useDeleteSessionMutation,
  useRefreshTokenMutation,
  useSearchUsersQuery,
  useLazySearchUsersQuery,
  useGetMeQuery,
  useLazyGetMeQuery,
  useUpdateMeMutation,
  useListBlocksQuery,
  useLazyListBlocksQuery,
  useChangePasswordMutation,
  useGetUserQuery,
  useLazyGetUserQuery,
  useBlockUserMutation,
  useUnblockUserMutation,
} = injectedRtkApi;
