package cluster

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/klauspost/compress/s2"

	"github.com/cinchdb/cinch/sqlite"
)

// RecordKind is the kind of a log record.
type RecordKind byte

// Log record kinds.
const (
	// KindCommit holds the pages of one committed transaction.
	KindCommit RecordKind = 1
	// KindTakeover marks a new owner: records before it are the previous
	// owner's, and nothing the previous owner appends after it is accepted.
	KindTakeover RecordKind = 2
	// KindPart holds some pages of a transaction too large for one log
	// message; the transaction's last record is its KindCommit. Parts not
	// followed by their commit (the owner died, or was fenced, midway) are
	// never applied.
	KindPart RecordKind = 3
)

// Record is one entry of a tenant's write log.
type Record struct {
	Kind   RecordKind
	Node   string        // the node that appended it
	Commit sqlite.Commit // KindCommit: the pages
}

// recordMagic starts every encoded record (format version 1).
var recordMagic = [3]byte{'C', 'R', '1'}

// Limits a decoded record must respect; beyond them it is corrupt.
const (
	maxPageSize   = 65536
	maxNodeName   = 255
	maxRecordBody = 256 << 20
)

// errCorrupt is wrapped by every decoding error.
var errCorrupt = errors.New("corrupt log record")

// EncodeRecord encodes r: a header (magic, kind, node name) and an
// s2-compressed body (page size, database pages, page count, then number
// and image of each page). Pages compress well (free space is zeros).
func EncodeRecord(r Record) []byte {
	var body []byte
	if r.Kind == KindCommit || r.Kind == KindPart {
		c := r.Commit
		body = make([]byte, 0, 12+len(c.Pages)*(4+c.PageSize))
		body = binary.BigEndian.AppendUint32(body, uint32(c.PageSize))
		body = binary.BigEndian.AppendUint32(body, c.DBPages)
		body = binary.BigEndian.AppendUint32(body, uint32(len(c.Pages)))
		for _, p := range c.Pages {
			body = binary.BigEndian.AppendUint32(body, p.No)
			body = append(body, p.Data...)
		}
	}
	node := r.Node
	if len(node) > maxNodeName {
		node = node[:maxNodeName]
	}
	out := append([]byte{}, recordMagic[:]...)
	out = append(out, byte(r.Kind), byte(len(node)))
	out = append(out, node...)
	return append(out, s2.Encode(nil, body)...)
}

// DecodeRecord decodes what EncodeRecord encoded, refusing anything else.
func DecodeRecord(b []byte) (Record, error) {
	var r Record
	if len(b) < 5 || [3]byte(b[:3]) != recordMagic {
		return r, fmt.Errorf("%w: bad header", errCorrupt)
	}
	r.Kind = RecordKind(b[3])
	n := int(b[4])
	if len(b) < 5+n {
		return r, fmt.Errorf("%w: short node name", errCorrupt)
	}
	r.Node = string(b[5 : 5+n])
	comp := b[5+n:]
	switch r.Kind {
	case KindTakeover:
		return r, nil
	case KindCommit, KindPart:
	default:
		return r, fmt.Errorf("%w: unknown kind %d", errCorrupt, r.Kind)
	}
	if size, err := s2.DecodedLen(comp); err != nil || size > maxRecordBody {
		return r, fmt.Errorf("%w: bad body", errCorrupt)
	}
	body, err := s2.Decode(nil, comp)
	if err != nil {
		return r, fmt.Errorf("%w: %v", errCorrupt, err)
	}
	if len(body) < 12 {
		return r, fmt.Errorf("%w: short body", errCorrupt)
	}
	c := &r.Commit
	c.PageSize = int(binary.BigEndian.Uint32(body))
	c.DBPages = binary.BigEndian.Uint32(body[4:])
	count := int(binary.BigEndian.Uint32(body[8:]))
	if c.PageSize < 512 || c.PageSize > maxPageSize || c.PageSize&(c.PageSize-1) != 0 {
		return r, fmt.Errorf("%w: page size %d", errCorrupt, c.PageSize)
	}
	rest := body[12:]
	if count < 0 || len(rest) != count*(4+c.PageSize) {
		return r, fmt.Errorf("%w: %d pages in %d bytes", errCorrupt, count, len(rest))
	}
	c.Pages = make([]sqlite.Page, count)
	for i := range c.Pages {
		no := binary.BigEndian.Uint32(rest)
		if no == 0 || no > c.DBPages {
			return r, fmt.Errorf("%w: page %d of a %d-page database", errCorrupt, no, c.DBPages)
		}
		c.Pages[i] = sqlite.Page{No: no, Data: rest[4 : 4+c.PageSize]}
		rest = rest[4+c.PageSize:]
	}
	return r, nil
}
