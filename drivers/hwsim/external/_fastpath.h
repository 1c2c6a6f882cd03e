/*
 * hwsim-mediumd's per-frame input path in C: a batch of datagrams read with
 * recvmmsg, a FRAME in the layout mac80211_hwsim_tx_frame_nl() builds parsed
 * in place, and, for a transmitter the daemon has marked steady (its radio
 * known, its station bound, its channel known, its addresses learned), the
 * frame handed straight to the medium kernel (med_tx_fields, called through
 * the pointer the kernel's own cffi module gives).  Everything else (other
 * messages, radios being learned, probe requests) is left to Python, which
 * stays the reference: fastpath.py says which transmitters are steady and
 * forgets them (all, or the one changed) whenever anything else happens.
 */
#ifndef HWSIM_FASTPATH_H
#define HWSIM_FASTPATH_H

#include <stdint.h>

#include "_medium.h" /* struct med_event */

/* fp_frame_in's answer when the datagram is not for the fast path */
#define FP_SLOW 0

struct fp_frame {
    uint32_t hw_off;      /* ADDR_TRANSMITTER: 6 octets at this offset */
    uint32_t frame_off;   /* FRAME's payload */
    uint32_t frame_len;
    uint32_t flags;       /* HWSIM_ATTR_FLAGS */
    uint32_t freq;        /* HWSIM_ATTR_FREQ */
    uint32_t radio;       /* the medium radio (port index) it was queued for */
    uint64_t cookie;
    uint8_t tx_info[8];   /* HWSIM_ATTR_TX_INFO as it came */
    uint8_t tx_flags[12]; /* HWSIM_ATTR_TX_INFO_FLAGS as it came */
};

/* The last frame put on the medium: when, and whose.  One for the daemon, shared by
 * every peer's table and by the Python path, which reads and writes it too: a frame
 * of another radio at that very instant is Python's (it draws the backoff that keeps
 * the two from meeting head-on). */
struct fp_put {
    uint64_t ns;
    uint32_t station;
    uint32_t any; /* 0 until a frame has been put */
};

struct fp_table;

struct fp_table *fp_new(void);
void fp_free(struct fp_table *t);
/* The medium kernel and its med_tx_fields, both from the kernel's module. */
void fp_set_medium(struct fp_table *t, void *medium, void *med_tx_fields);
/* The daemon's mark of the last frame put (kept by the caller for the table's life). */
void fp_set_put(struct fp_table *t, struct fp_put *put);
/* Forget every steady transmitter, or one. */
void fp_clear(struct fp_table *t);
void fp_forget(struct fp_table *t, const uint8_t *hw);
uint32_t fp_count(struct fp_table *t);
/* Mark transmitter hw steady: its frames on `freq` from one of addr2s
 * (n2 addresses of 6 octets) go to medium radio `station`, heard on rx_freq.
 * 0, or -1 when the table or the address list is full. */
int fp_add(struct fp_table *t, const uint8_t *hw, uint32_t station, uint32_t freq, uint32_t rx_freq,
           const uint8_t *addr2s, uint32_t n2);

/* A datagram holding exactly one FRAME in the kernel's layout: 1 and *out
 * filled, else 0 (as genl.kernel_frame_fields decides). */
int fp_parse_frame(const uint8_t *d, uint32_t n, uint32_t family, struct fp_frame *out);

/* Parse, and for a steady transmitter's ordinary frame queue it on the
 * medium at now_ns: med_tx's answer (a frame id > 0, or -errno).  FP_SLOW
 * for anything Python must see (*out is then filled only if the datagram
 * parsed as a FRAME): beacons (Python draws their random delay), a frame
 * arriving at the instant another radio's went on the medium (its backoff),
 * and, while some radio's channel is being sought (`unheard`), every frame
 * but one to an address of a steady radio of this table (any other may tell
 * where a sought radio listens). */
int64_t fp_frame_in(struct fp_table *t, const uint8_t *d, uint32_t n, uint32_t family, uint64_t now_ns,
                    uint32_t unheard,
                    struct fp_frame *out);

/* Up to max datagrams from fd without blocking, datagram i at buf + i*slot,
 * its length in lens[i] (truncated ones are cut to slot).  The count (0 when
 * none is waiting), or -errno when the first read failed. */
int fp_recv(int fd, uint8_t *buf, uint32_t slot, uint32_t max, uint32_t *lens);

/* ---- Output: the deliveries and statuses of the frames the C path took ----
 *
 * The medium kernel's events, popped through its med_pop_events, in order:
 * a delivery to a station whose radio is bound and listening on a known
 * channel, and the status of a frame whose peer reads, are encoded here
 * (FRAME and TX_INFO_FRAME exactly as genl.encode_delivery and
 * genl.encode_tx_info build them) into the peer's output buffer, numbered
 * from the peer's sequence counter and remembered for an error that may
 * answer them.  A delivery to a station without a radio is counted.  The
 * first event that needs Python (a frame C did not store, a station Python
 * decides for, a peer that does not keep up) stops the run and is handed
 * over, so every peer's messages keep the order the Python path gives them.
 */
#define FO_OUT_MAX 16384 /* bytes buffered per peer before the run returns them */
#define FO_SENT 4096     /* requests remembered per peer (peer.SENT_MEMORY) */
#define FO_FRAMES 16384  /* frames stored, by frame id modulo this (twice MAX_INFLIGHT) */
#define FO_MAX_PEERS 64
#define FO_MAX_FRAME 2304 /* IEEE80211_MAX_DATA_LEN: a longer frame stays with Python (fo_store) */
#define FO_DONE 0        /* fo_dispatch: no event left */
#define FO_REST 1        /* ... one event for Python in *rest */
#define FO_FULL 2        /* ... a peer's buffer is full: take it and run again */
#define FO_PYTHON 0      /* fo_set_station: Python decides its deliveries */
#define FO_UNBOUND 1     /* ... no radio: counted (rx_no_radio) */
#define FO_DELIVER 2     /* ... delivered to hw at its peer */
#define FO_SENT_FRAME 1  /* fo_sent.kind: a delivery (n: the frame's length) */
#define FO_SENT_STATUS 2 /* ... a status (n: the cookie) */

struct fo_peer {         /* Python reads and writes these between runs */
    uint32_t family;
    uint32_t seq;        /* the last sequence number issued (Peer.seq) */
    uint32_t wrapped;
    uint32_t rx_ok;      /* deliveries may be built (not closed, not behind) */
    uint32_t status_ok;  /* statuses may be built (not congested) */
    uint32_t out_len;
    uint64_t deliveries; /* since Python last took them */
    uint64_t statuses;
    uint8_t *out;
};

struct fo_sent {
    uint32_t seq;
    uint32_t kind;       /* 0: none */
    uint8_t hw[8];
    uint64_t n;
};

struct fo_counts {       /* since Python last took them */
    uint64_t rx;         /* deliveries made (the medium's rx) */
    uint64_t rx_no_radio;
    uint64_t tx_status;  /* statuses handled (the medium's tx_status) */
};

struct fo_taken {
    uint32_t port, peer, flags, len;
    uint64_t cookie;
    uint8_t hw[8];
    const uint8_t *data; /* valid until the next call */
};

struct fo_out;

struct fo_out *fo_new(void);
void fo_free(struct fo_out *o);
/* The medium kernel and its med_pop_events, both from the kernel's module. */
void fo_set_medium(struct fo_out *o, void *medium, void *med_pop_events);
struct fo_peer *fo_peer(struct fo_out *o, uint32_t i);
struct fo_counts *fo_counts(struct fo_out *o);
/* What the run does with deliveries to medium port `port` (FO_PYTHON, FO_UNBOUND,
 * FO_DELIVER to hw at peer).  0, or -1 for a port or peer out of range. */
int fo_set_station(struct fo_out *o, uint32_t port, uint32_t what, const uint8_t *hw, uint32_t peer);
/* Keep frame `fid` (its bytes and what its status needs): 0, or -1 when its slot is taken. */
int fo_store(struct fo_out *o, uint64_t fid, const uint8_t *data, uint32_t len, uint32_t port, uint32_t peer,
             const uint8_t *hw, uint64_t cookie, uint32_t flags);
/* Give a stored frame back to Python (1, *out filled), or 0 when C does not hold it. */
int fo_take(struct fo_out *o, uint64_t fid, struct fo_taken *out);
uint32_t fo_count(struct fo_out *o);
/* What request `seq` to peer `peer` was, if the run sent it and still remembers (1), else 0. */
int fo_recall(struct fo_out *o, uint32_t peer, uint32_t seq, struct fo_sent *out);
/* Run the medium's pending events: FO_DONE, FO_REST (*rest is Python's), or FO_FULL. */
int fo_dispatch(struct fo_out *o, struct med_event *rest);

#endif
