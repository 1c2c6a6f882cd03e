/*
 * Internals shared by _medium.c (state, containers, configuration) and
 * _medium_sim.c (the decisions).  Not part of the cffi interface.
 */
#ifndef HWSIM_MEDIUM_INT_H
#define HWSIM_MEDIUM_INT_H

#include "_medium.h"

#include <stddef.h>
#include <stdlib.h>

#define MED_SNR_NONE (-1000.0) /* model.SNR_NONE: no link */
#define MED_NRATES 12
#define MED_SLOT_NS 9000ULL
#define MED_SIFS_NS 16000ULL
#define MED_QUEUE_CAP 1024 /* frames per radio and AC */
#define MED_MAX_LEN 2304
#define MED_ACK_LEN 10 /* ACK frame without FCS */
#define MED_CTS_LEN 10 /* CTS frame without FCS */
#define MED_RTS_LEN 16 /* RTS frame without FCS */
#define MED_RC_USE_RTS_CTS 0x001u     /* hwsim_tx_rate_flags: an RTS/CTS exchange first */
#define MED_RC_USE_CTS_PROTECT 0x002u /* a CTS to itself first */
#define MED_FCS_LEN 4
#define MED_IS_GROUP(a) (((a) >> 40) & 1)

extern const uint32_t MED_RATES_100K[MED_NRATES];
extern const uint32_t MED_AIFSN[4], MED_CW_MIN[4], MED_CW_MAX[4];
extern const double MED_ACI_LIN[6];

enum { EV_BACKOFF = 1, EV_TX_END, EV_ACK_START, EV_ACK_TIMEOUT, EV_NAV_END, EV_DATA_START };
/* what a transmission is: a frame of the queue, or a control frame of an exchange */
enum { CTL_DATA = 0, CTL_ACK, CTL_RTS, CTL_CTS, CTL_CTS_SELF };

struct ev { uint64_t time, seq; uint32_t type, a; uint64_t b; };

/* bloom: one bit per key (bloom_bit), so most misses skip the probe; a
 * radio holds one or two addresses and is asked about every frame's. */
struct hset { uint64_t *keys; uint8_t *vals; uint32_t cap, count; uint64_t bloom; };
#define MED_HKEY(a) ((a) | (1ULL << 63)) /* never 0, 0 marks an empty slot */
#define MED_AINL 4                       /* addresses a radio's dense slots hold */
#define MED_AINL_HASH UINT64_MAX         /* no kind is 0xFFFF: never an address's slot */
#define MED_ADDR_MASK 0xFFFFFFFFFFFFULL
static inline uint64_t med_i_bloom_bit(uint64_t key) { return 1ULL << ((key * 0xD6E8FEB86659FD93ULL) >> 58); }

struct frame {
    struct med_txreq req;
    uint64_t id;
    int32_t next;           /* queue link / free list */
    uint8_t stage, attempts;
    uint8_t tries[4];
};

/* A transmitter's links, sorted by receiver; loss NULL while all are 0.
 * sense: the positions of the links strong enough to be sensed on the same
 * channel (snr >= sense_db); dec: those strong enough to be decoded with
 * the best fading (snr > decode_db); both in receiver order.  Carrier sense
 * walks only the first, reception only the second: a radio that can neither
 * sense nor decode a transmitter costs its frames nothing; the other links
 * are there as interference. */
struct links {
    uint32_t *to; double *snr, *loss; uint32_t n, cap;
    uint32_t *sense, nsense, sense_cap;
    uint32_t *dec, ndec, dec_cap;
};

/* What carrier sense reads and writes of every radio a transmission
 * reaches (start_tx, its end): in a world of thousands of radios each of
 * those finds its radio out of the cache, so this is a dense array of its
 * own (medium.cs), 16 bytes a radio, and the radio itself is read only
 * for the few with a frame to send. */
struct cs {
    uint64_t idle_since;    /* when the medium last went idle for it */
    uint32_t busy;          /* transmissions heard (and its NAV) */
    uint8_t armed;          /* a backoff expiry is pending */
    uint8_t work;           /* it may have a frame to send: 0 only when it has none */
};

/* The first 64 bytes hold what the backoff reads; the array is 64-byte
 * aligned and the struct a multiple of 64. */
struct radio {
    uint32_t slots;         /* backoff slots left */
    int32_t cur;            /* frame in service, -1 */
    uint32_t state;
    uint64_t bo_deadline, gen;
    int32_t qhead[4];
    uint8_t in_exchange, acking;
    uint8_t nav_on;         /* virtual carrier sense: counted in busy until nav_until */
    /* -- the rest */
    uint32_t freq, tmp_freq, group, filter;
    int32_t cx, cy;         /* spatial cell (med_set_cell) */
    int32_t txpower;
    struct hset addrs;
    int32_t qtail[4];
    uint32_t qlen[4];
    uint32_t cw[4];
    uint32_t onair;         /* its transmissions on the air */
    uint8_t resp_cts;       /* the answer owed is a CTS (to an RTS), not an ACK */
    uint32_t ack_to, ack_freq, ack_tidx; /* ACK (or CTS) owed after SIFS */
    uint64_t nav_until, nav_gen;
} __attribute__((aligned(64)));
_Static_assert(offsetof(struct radio, nav_on) < 64, "the backoff's fields in the first line");
_Static_assert(sizeof(struct radio) % 64 == 0, "whole lines per radio");

/* A radio's beacon filter (med_bf_set) */
struct bf { uint64_t bssid, count, last_ns; uint32_t tag; int32_t signal; uint8_t on, pass_all; };

struct ovl { uint32_t sender, freq; uint64_t seq; /* the other transmission's tx.seq */ };

struct tx {
    uint32_t sender, freq, tidx, len, ack_for;
    uint64_t seq;             /* start order: overlaps are recorded in it */
    int32_t cx, cy;           /* the cell it is filed under in the on-air index */
    int32_t cnext, cprev;     /* next in that cell's list (-1: none); previous (the head: the tail) */
    uint32_t apos;            /* its place in medium.active */
    int32_t frame, next_free; /* frame -1: an ACK or CTS answering another */
    uint8_t ctl, retry;       /* ctl: CTL_* */
    uint64_t end;
    uint32_t *sensed; uint32_t nsensed, sensed_cap; /* radios made busy */
    struct ovl *ovl; uint32_t novl, ovl_cap;        /* overlapping in time, in start order */
};

struct medium {
    uint32_t mode;
    uint64_t rng[4];
    uint64_t now, seq, next_id;
    double noise_dbm, noise_mw, cca_dbm, fading;
    double sense_db, decode_db; /* SNR that carrier sense needs; at or below decode_db nothing decodes */
    int interference;
    double aci_db[6];
    double *per_tab; uint32_t per_npts; double per_step;
    struct radio *radios; uint32_t nradios, cap;
    struct links *links;     /* per transmitter */
    uint64_t nlinks;
    uint32_t cell_reach;     /* 0: no spatial filter on overlaps */
    /* cell offsets (dx, dy) within reach (med_set_cell_reach); {(0, 0)} without */
    int32_t *offs; uint32_t noffs;
    /* the on-air index: cell -> first transmission filed under it (-1: a
     * free slot); open addressing, linear probing, backward-shift delete */
    uint64_t *ckeys; int32_t *chead; uint32_t ccap, ccount;
    uint64_t txseq, noverlaps;
    uint32_t *cand; uint32_t cand_cap; /* start_tx's overlaps before ordering */
    struct frame *frames; uint32_t nframes_cap; int32_t frame_free;
    struct tx *txs; uint32_t ntx_cap; int32_t tx_free;
    uint32_t *active; uint32_t nactive, active_cap; /* on the air, in no order */
    struct ev *heap; uint32_t nheap, heap_cap;
    struct med_event *out; uint32_t out_head, out_len, out_cap;
    uint32_t *idle_tmp;
    uint8_t *hdvec;   /* receivers that transmitted during it */
    /* dense copies of what the frame path reads of every radio it passes,
     * so that passing one does not pull its struct radio into the cache */
    uint32_t *grp;    /* radios[r].group */
    uint32_t *rxf;    /* med_i_rxfreq(radios[r]), MED_RXF_OFF when stopped */
    uint32_t *filt;   /* radios[r].filter */
    uint64_t *bloom;  /* radios[r].addrs.bloom */
    struct bf *bf;    /* beacon filters */
    struct cs *cs;    /* carrier sense, per radio */
    /* radios[r].addrs itself, MED_AINL words a radio: an address with its
     * kinds above (addr | kind << 48), 0 for none; MED_AINL_HASH in the
     * first: more addresses than that, ask the hash */
    uint64_t *ainl;
    /* the interferers of the frame being judged, in overlap order */
    uint32_t *iv_src; double *iv_f; uint32_t *iv_g; uint32_t niv, iv_cap;
    struct med_counters c;
    uint8_t hit;      /* decide() saw a collision since it was cleared */
};

int med_i_grow(void **p, uint32_t *cap, uint32_t need, size_t elem);
void med_i_push(struct medium *m, uint64_t time, uint32_t type, uint32_t a, uint64_t b);
struct ev med_i_pop(struct medium *m);
struct med_event *med_i_emit(struct medium *m);
double med_i_uniform(struct medium *m);
uint8_t med_i_hget(const struct hset *h, uint64_t addr);

/* The kinds radio r holds address addr as (med_i_hget on its set) from its
 * dense slots: one cache line rather than the radio, its keys and its
 * values, for the frame path's every bloom hit. */
static inline uint8_t med_i_addr_kind(const struct medium *m, uint32_t r, uint64_t addr)
{
    const uint64_t *a = m->ainl + (size_t)r * MED_AINL;
    if (a[0] == MED_AINL_HASH) return med_i_hget(&m->radios[r].addrs, addr);
    for (int k = 0; k < MED_AINL; k++)
        if (a[k] && (a[k] & MED_ADDR_MASK) == addr) return (uint8_t)(a[k] >> 48);
    return 0;
}
int med_i_accepts(const struct radio *r, const struct med_txreq *q, int owns);
double med_i_per(const struct medium *m, double sinr_db, uint32_t tidx, uint32_t len);
#define MED_RXF_OFF UINT32_MAX /* no channel: never equal to a frame's, never adjacent */

/* Index of the link from -> to in links[from], or -1. */
int64_t med_i_link(const struct medium *m, uint32_t from, uint32_t to);
int32_t med_i_frame_alloc(struct medium *m);
/* The on-air index: a transmission goes on (after its fields are set) and
 * off the air; the first transmission filed under a cell, the others
 * following txs[].cnext. */
void med_i_onair_add(struct medium *m, int32_t ti);
void med_i_onair_del(struct medium *m, int32_t ti);
int32_t med_i_onair_first(const struct medium *m, int32_t cx, int32_t cy);
/* Record that transmissions a and b overlap, in both lists at their place
 * by start order: b must have started after every transmission a lists. */
void med_i_ovl_append(struct tx *a, const struct tx *b);
void med_i_status(struct medium *m, uint32_t s, const struct frame *f, uint8_t flags, int32_t sig);
void med_i_finish(struct medium *m, uint32_t s, uint8_t flags, int32_t ack_signal);

static inline uint32_t med_i_rxfreq(const struct radio *r)
{
    return r->state == MED_RADIO_OFFCHAN && r->tmp_freq ? r->tmp_freq : r->freq;
}

/* A rate's table index (rates.py): 0..11 legacy, MED_MCS_CODE | vht << 14 |
 * sgi << 13 | bw << 11 | (nss - 1) << 4 | mcs for HT/VHT, MED_BAD_RATE if the
 * (index, flags) pair names no rate. */
#define MED_MCS_CODE 0x8000u
#define MED_BAD_RATE 0xFFFFFFFFu
#define MED_PER_ROWS (MED_NRATES + 10)
#define MED_IS_MCS(t) (((t) & MED_MCS_CODE) && (t) != MED_BAD_RATE)
uint32_t med_i_tidx(int32_t rate_idx, uint32_t rc_flags, uint32_t freq);
uint32_t med_i_ack_tidx(uint32_t tidx);
uint32_t med_i_rx_rate(uint32_t tidx, uint32_t freq);

/* Channel separation index into MED_ACI_LIN, or -1 if they never interfere. */
static inline int med_i_chan_sep(uint32_t f1, uint32_t f2)
{
    if (f1 == f2) return 0;
    if (f1 > 3000 || f2 > 3000) return -1;
    uint32_t d = (f1 > f2 ? f1 - f2 : f2 - f1) / 5;
    return d < 6 ? (int)d : -1;
}

#endif
