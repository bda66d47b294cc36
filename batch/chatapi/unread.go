package chatapi

// PathUnread is the URL path of v4/openim/get_c2c_unread_msg_num, which
// reads a user's one-to-one unread counts back: the way to prove that a
// mark-read landed. Its query parameters are admin_set_msg_read's.
const PathUnread = "/v4/openim/get_c2c_unread_msg_num"

// MaxUnreadPeers is the most peers one unread-count call may name.
const MaxUnreadPeers = 10

// UnreadRequest is the JSON body of one unread-count call.
type UnreadRequest struct {
	// ToAccount is the user whose unread counts are read: a report row's
	// Report_Account.
	ToAccount string `json:"To_Account"`
	// PeerAccounts are the conversations to read, at most MaxUnreadPeers;
	// none asks for the user's total.
	PeerAccounts []string `json:"Peer_Account,omitempty"`
}

// PeerUnread is one conversation's unread count.
type PeerUnread struct {
	PeerAccount string `json:"Peer_Account"`
	Unread      int    `json:"C2CUnreadMsgNum"`
}

// PeerError is a peer the service could not count, such as 70107 for an
// account never imported.
type PeerError struct {
	PeerAccount string `json:"Peer_Account"`
	ErrorCode   int    `json:"ErrorCode"`
}

// UnreadResponse is the answer to an unread-count call: the envelope,
// then the counts of the peers asked for and the peers in error (or, with
// no peers asked, the user's total).
type UnreadResponse struct {
	Response
	AllUnread *int         `json:"AllC2CUnreadMsgNum,omitempty"`
	Peers     []PeerUnread `json:"C2CUnreadMsgNumList,omitempty"`
	Errors    []PeerError  `json:"ErrorList,omitempty"`
}
