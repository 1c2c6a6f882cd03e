/* hwsim-mediumd's per-frame input path: see _fastpath.h. */
#define _GNU_SOURCE
#include "_fastpath.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* MAC80211_HWSIM (include/uapi/linux/mac80211_hwsim.h) */
#define CMD_FRAME 2
#define A_TRANSMITTER 2
#define A_FRAME 3
#define A_FLAGS 4
#define A_TX_INFO 7
#define A_COOKIE 8
#define A_FREQ 19
#define A_TX_INFO_FLAGS 21
#define TX_CTL_NO_ACK 2
#define MAX_FRAME 2304 /* IEEE80211_MAX_DATA_LEN */
#define TAIL_SIZE 56   /* FLAGS, FREQ, TX_INFO, TX_INFO_FLAGS, COOKIE with their headers */

/* the medium kernel's (_medium.h): the request's fields */
#define FT_OTHER 0
#define FT_BEACON 1
#define FT_PROBE_REQ 2
#define TXF_NEEDS_ACK 1
#define AC_BE 2

#define CAP 4096 /* slots: a power of two, four times the daemon's radios (stations.MAX_RADIOS) */
#define MAX_ADDR2 8
#define ACAP (4 * CAP) /* addresses of steady radios: CAP / 4 entries of MAX_ADDR2, half full at most */

typedef int64_t (*tx_fields_fn)(void *m, uint32_t radio, uint32_t length, uint64_t addr1, uint64_t addr2,
                                 uint64_t addr3, uint64_t bssid, uint32_t freq, uint32_t kind, uint32_t flags,
                                 uint32_t ac, uint32_t rate_idx, uint32_t rate_count, uint64_t rate_flags,
                                 uint32_t tag, uint64_t now_ns);

struct entry {
    uint64_t hw;  /* the key */
    uint32_t gen; /* the table's generation when added: an older one is a free slot */
    uint32_t station, freq, rx_freq, n2; /* n2 == 0: forgotten (its slot stays in the chain) */
    uint64_t addr2[MAX_ADDR2];
};

struct fp_addr {
    uint64_t addr; /* one of a steady radio's addresses ... */
    uint64_t hw;   /* ... and the radio: valid while its entry lists the address */
    uint32_t gen;
};

struct fp_table {
    void *medium;
    tx_fields_fn tx;
    struct fp_put *put;
    uint32_t used;
    uint32_t gen; /* starts at 1: calloc's zeros are free slots */
    struct entry slots[CAP];
    struct fp_addr addrs[ACAP];
};

static uint16_t rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

static uint64_t mac(const uint8_t *p)
{
    return ((uint64_t)p[0] << 40) | ((uint64_t)p[1] << 32) | ((uint64_t)p[2] << 24) | ((uint64_t)p[3] << 16)
        | ((uint64_t)p[4] << 8) | p[5];
}

static uint32_t slot_of(uint64_t key)
{
    key ^= key >> 29;
    key *= 0xBF58476D1CE4E5B9ULL;
    key ^= key >> 32;
    return (uint32_t)key & (CAP - 1);
}

struct fp_table *fp_new(void)
{
    struct fp_table *t = calloc(1, sizeof(struct fp_table));
    if (t != NULL) t->gen = 1;
    return t;
}
void fp_free(struct fp_table *t) { free(t); }

void fp_set_medium(struct fp_table *t, void *medium, void *med_tx_fields)
{
    t->medium = medium;
    t->tx = (tx_fields_fn)med_tx_fields;
}

void fp_set_put(struct fp_table *t, struct fp_put *put) { t->put = put; }

void fp_clear(struct fp_table *t)
{
    /* Forgetting is a new generation, not a sweep: the daemon forgets on every
     * message Python handles.  Lookups and inserts stop at the first slot of
     * another generation, so the chains of the new one stay whole. */
    if (t->used) {
        t->used = 0;
        if (++t->gen == 0) {
            memset(t->slots, 0, sizeof t->slots);
            memset(t->addrs, 0, sizeof t->addrs);
            t->gen = 1;
        }
    }
}

uint32_t fp_count(struct fp_table *t) { return t->used; }

static struct entry *find(struct fp_table *t, uint64_t key)
{
    for (uint32_t i = slot_of(key), k = 0; k < CAP; i = (i + 1) & (CAP - 1), k++) {
        struct entry *e = &t->slots[i];
        if (e->gen != t->gen) return NULL;
        if (e->hw == key) return e;
    }
    return NULL;
}

int fp_add(struct fp_table *t, const uint8_t *hw, uint32_t station, uint32_t freq, uint32_t rx_freq,
           const uint8_t *addr2s, uint32_t n2)
{
    uint64_t key = mac(hw);
    if (n2 == 0 || n2 > MAX_ADDR2) return -1;
    struct entry *e = find(t, key);
    if (e == NULL) {
        if (t->used >= CAP / 4) return -1; /* keep probes short */
        uint32_t i = slot_of(key);
        while (t->slots[i].gen == t->gen) i = (i + 1) & (CAP - 1);
        e = &t->slots[i];
        e->hw = key;
        e->gen = t->gen;
        t->used++;
    }
    e->station = station;
    e->freq = freq;
    e->rx_freq = rx_freq;
    e->n2 = n2;
    for (uint32_t k = 0; k < n2; k++) {
        uint64_t a = mac(addr2s + 6 * k);
        e->addr2[k] = a;
        /* the address -> radio index: a slot of this generation holding the address is
         * reused; entries go stale when their radio is forgotten and are checked on use */
        uint32_t i = slot_of(a ^ 0x5555555555555555ULL) & (ACAP - 1);
        for (uint32_t probes = 0; probes < ACAP; probes++, i = (i + 1) & (ACAP - 1)) {
            struct fp_addr *s = &t->addrs[i];
            if (s->gen != t->gen || s->addr == a) {
                s->addr = a;
                s->hw = key;
                s->gen = t->gen;
                break;
            }
        }
    }
    return 0;
}

/* Whether `a` is an address of a steady radio of this table. */
static int steady_addr(struct fp_table *t, uint64_t a)
{
    uint32_t i = slot_of(a ^ 0x5555555555555555ULL) & (ACAP - 1);
    for (uint32_t probes = 0; probes < ACAP; probes++, i = (i + 1) & (ACAP - 1)) {
        const struct fp_addr *s = &t->addrs[i];
        if (s->gen != t->gen) return 0;
        if (s->addr != a) continue;
        const struct entry *e = find(t, s->hw);
        if (e == NULL) return 0;
        for (uint32_t k = 0; k < e->n2; k++)
            if (e->addr2[k] == a) return 1;
        return 0;
    }
    return 0;
}

void fp_forget(struct fp_table *t, const uint8_t *hw)
{
    struct entry *e = find(t, mac(hw));
    if (e != NULL) e->n2 = 0;
}

static const uint8_t *tail_header(uint16_t len, uint16_t type, uint8_t out[4])
{
    memcpy(out, &len, 2);
    memcpy(out + 2, &type, 2);
    return out;
}

int fp_parse_frame(const uint8_t *d, uint32_t n, uint32_t family, struct fp_frame *out)
{
    if (n < 100 || d[16] != CMD_FRAME || rd32(d) != n || rd16(d + 4) != family) return 0;
    uint16_t alen = rd16(d + 20), atype = rd16(d + 22), flen = rd16(d + 32), ftype = rd16(d + 34);
    if (alen != 10 || atype != A_TRANSMITTER || ftype != A_FRAME || flen < 4 || flen > 4 + MAX_FRAME) return 0;
    uint32_t off = 32 + (((uint32_t)flen + 3) & ~3u);
    if (n != off + TAIL_SIZE) return 0;
    static const struct { uint32_t at; uint16_t len, type; } hdrs[] = {
        {0, 8, A_FLAGS}, {8, 8, A_FREQ}, {16, 12, A_TX_INFO}, {28, 16, A_TX_INFO_FLAGS}, {44, 12, A_COOKIE}};
    uint8_t h[4];
    for (unsigned k = 0; k < sizeof hdrs / sizeof hdrs[0]; k++)
        if (memcmp(d + off + hdrs[k].at, tail_header(hdrs[k].len, hdrs[k].type, h), 4) != 0) return 0;
    out->hw_off = 24;
    out->frame_off = 36;
    out->frame_len = (uint32_t)flen - 4;
    out->flags = rd32(d + off + 4);
    out->freq = rd32(d + off + 12);
    memcpy(out->tx_info, d + off + 20, 8);
    memcpy(out->tx_flags, d + off + 32, 12);
    out->cookie = rd64(d + off + 48);
    out->radio = 0;
    return 1;
}

int64_t fp_frame_in(struct fp_table *t, const uint8_t *d, uint32_t n, uint32_t family, uint64_t now_ns,
                    uint32_t unheard, struct fp_frame *out)
{
    if (!fp_parse_frame(d, n, family, out)) return FP_SLOW;
    if (t->used == 0 || t->tx == NULL || t->put == NULL) return FP_SLOW;
    struct entry *e = find(t, mac(d + out->hw_off));
    if (e == NULL || out->freq != e->freq) return FP_SLOW;
    const uint8_t *f = d + out->frame_off;
    uint32_t flen = out->frame_len;
    /* Only what the Python path would take as it comes: a full 3-address
     * header, not a probe request (the radio is about to scan), from an
     * address the radio is known by. */
    if (flen < 24 || (f[0] & 0xFC) == 0x40 || f[0] == 0x80) return FP_SLOW;
    struct fp_put *put = t->put;
    if (put->any && put->ns == now_ns && put->station != e->station) return FP_SLOW;
    uint64_t addr2 = mac(f + 10);
    uint32_t k = 0;
    while (k < e->n2 && e->addr2[k] != addr2) k++;
    if (k == e->n2) return FP_SLOW;

    /* medtypes.parse_header */
    uint32_t ftype = (f[0] >> 2) & 3, sub = f[0] >> 4;
    uint64_t addr1 = mac(f + 4), addr3 = mac(f + 16), bssid = 0;
    if (unheard && (((addr1 >> 40) & 1) || !steady_addr(t, addr1))) return FP_SLOW;
    uint32_t kind = FT_OTHER;
    if (ftype == 0) {
        bssid = addr3;
        kind = sub == 8 ? FT_BEACON : sub == 4 ? FT_PROBE_REQ : FT_OTHER;
    } else if (ftype == 2) {
        uint64_t by_ds[4] = {addr3, addr1, addr2, 0};
        bssid = by_ds[f[1] & 3];
    }
    /* HwsimMedium.transmit's flags */
    uint32_t flags = (out->flags & TX_CTL_NO_ACK) || ((addr1 >> 40) & 1) ? 0 : TXF_NEEDS_ACK;
    if (kind == FT_OTHER && ftype == 1) flags = 0;
    /* mediumd._rate_chain: {s8 idx; u8 count} up to the first idx < 0, a count of 0 as 1;
     * none at all is one try at rate 0.  Packed as CKernel.tx packs a chain. */
    /* mediumd._rate_flags: each entry's u16 flags from TX_INFO_FLAGS */
    uint32_t idx = 0, cnt = 0, shift = 0;
    uint64_t rflags = 0;
    for (k = 0; k < 4; k++) {
        int8_t i = (int8_t)out->tx_info[2 * k];
        if (i < 0) break;
        uint8_t c = out->tx_info[2 * k + 1];
        idx |= (uint32_t)(uint8_t)i << shift;
        cnt |= (uint32_t)(c ? c : 1) << shift;
        rflags |= (uint64_t)(out->tx_flags[3 * k + 1] | out->tx_flags[3 * k + 2] << 8) << (16 * k);
        shift += 8;
    }
    if (shift == 0) {
        cnt = 1;
        shift = 8;
    }
    if (shift < 32) idx |= (0xFFFFFFFFu >> shift) << shift;
    out->radio = e->station;
    int64_t fid = t->tx(t->medium, e->station, flen, addr1, addr2, addr3, bssid, e->rx_freq, kind, flags, AC_BE,
                        idx, cnt, rflags, 0, now_ns); /* tag 0: no beacon filter keeps it back */
    if (fid > 0) {
        put->ns = now_ns;
        put->station = e->station;
        put->any = 1;
    }
    return fid;
}

#define BATCH 64

int fp_recv(int fd, uint8_t *buf, uint32_t slot, uint32_t max, uint32_t *lens)
{
    struct mmsghdr msgs[BATCH];
    struct iovec iov[BATCH];
    if (max > BATCH) max = BATCH;
    memset(msgs, 0, sizeof(struct mmsghdr) * max);
    for (uint32_t i = 0; i < max; i++) {
        iov[i].iov_base = buf + (size_t)i * slot;
        iov[i].iov_len = slot;
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int got = recvmmsg(fd, msgs, max, MSG_DONTWAIT, NULL);
    if (got < 0) return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
    for (int i = 0; i < got; i++) lens[i] = msgs[i].msg_len < slot ? msgs[i].msg_len : slot;
    return got;
}

/* ---- output ------------------------------------------------------------------ */

#define CMD_TX_INFO_FRAME 3
#define A_RECEIVER 1
#define A_RX_RATE 5
#define A_SIGNAL 6
#define GENL_VERSION 1
#define NLM_F_REQUEST 1
#define TX_STAT_ACK 4
#define EVBUF 256

typedef uint32_t (*pop_fn)(void *m, struct med_event *out, uint32_t cap);

struct fo_station {
    uint8_t what, hw[6];
    uint32_t peer;
};

struct fo_slot {
    uint64_t fid; /* 0: free (the kernel's ids start at 1) */
    uint64_t cookie;
    uint32_t port, peer, flags, len, cap;
    uint8_t hw[6];
    uint8_t *data;
};

struct fo_out {
    void *medium;
    pop_fn pop;
    struct fo_counts counts;
    struct fo_peer peers[FO_MAX_PEERS];
    struct fo_sent *sent[FO_MAX_PEERS];
    struct fo_station *st;
    uint32_t nst, used;
    struct fo_slot *slots;
    struct med_event ev[EVBUF];
    uint32_t ev_head, ev_n;
};

struct fo_out *fo_new(void)
{
    struct fo_out *o = calloc(1, sizeof *o);
    if (o == NULL) return NULL;
    o->slots = calloc(FO_FRAMES, sizeof *o->slots);
    if (o->slots == NULL) { free(o); return NULL; }
    return o;
}

void fo_free(struct fo_out *o)
{
    if (o == NULL) return;
    for (uint32_t i = 0; i < FO_FRAMES; i++) free(o->slots[i].data);
    for (uint32_t i = 0; i < FO_MAX_PEERS; i++) { free(o->peers[i].out); free(o->sent[i]); }
    free(o->slots);
    free(o->st);
    free(o);
}

void fo_set_medium(struct fo_out *o, void *medium, void *med_pop_events)
{
    o->medium = medium;
    o->pop = (pop_fn)med_pop_events;
}

struct fo_peer *fo_peer(struct fo_out *o, uint32_t i)
{
    if (i >= FO_MAX_PEERS) return NULL;
    struct fo_peer *p = &o->peers[i];
    if (p->out == NULL) {
        /* room for the buffer's bound plus one message of the largest frame */
        p->out = malloc(FO_OUT_MAX + 4096);
        o->sent[i] = calloc(FO_SENT, sizeof(struct fo_sent));
        if (p->out == NULL || o->sent[i] == NULL) return NULL;
    }
    return p;
}

struct fo_counts *fo_counts(struct fo_out *o) { return &o->counts; }

int fo_set_station(struct fo_out *o, uint32_t port, uint32_t what, const uint8_t *hw, uint32_t peer)
{
    if (port >= 1u << 20 || what > FO_DELIVER || peer >= FO_MAX_PEERS) return -1;
    if (what == FO_DELIVER && fo_peer(o, peer) == NULL) return -1;
    if (port >= o->nst) {
        uint32_t n = o->nst ? o->nst : 64;
        while (n <= port) n *= 2;
        struct fo_station *st = realloc(o->st, n * sizeof *st);
        if (st == NULL) return -1;
        memset(st + o->nst, 0, (n - o->nst) * sizeof *st);
        o->st = st;
        o->nst = n;
    }
    struct fo_station *s = &o->st[port];
    s->what = (uint8_t)what;
    s->peer = peer;
    if (hw != NULL) memcpy(s->hw, hw, 6);
    return 0;
}

int fo_store(struct fo_out *o, uint64_t fid, const uint8_t *data, uint32_t len, uint32_t port, uint32_t peer,
             const uint8_t *hw, uint64_t cookie, uint32_t flags)
{
    /* the output buffers keep room past FO_OUT_MAX for one delivery of the longest frame */
    if (fid == 0 || len > FO_MAX_FRAME || peer >= FO_MAX_PEERS || fo_peer(o, peer) == NULL) return -1;
    struct fo_slot *s = &o->slots[fid % FO_FRAMES];
    if (s->fid != 0) return -1;
    if (s->cap < len) {
        uint32_t cap = len < 256 ? 256 : len;
        uint8_t *d = realloc(s->data, cap);
        if (d == NULL) return -1;
        s->data = d;
        s->cap = cap;
    }
    memcpy(s->data, data, len);
    s->fid = fid;
    s->len = len;
    s->port = port;
    s->peer = peer;
    s->cookie = cookie;
    s->flags = flags;
    memcpy(s->hw, hw, 6);
    o->used++;
    return 0;
}

static struct fo_slot *slot_of_fid(struct fo_out *o, uint64_t fid)
{
    struct fo_slot *s = &o->slots[fid % FO_FRAMES];
    return fid != 0 && s->fid == fid ? s : NULL;
}

int fo_take(struct fo_out *o, uint64_t fid, struct fo_taken *out)
{
    struct fo_slot *s = slot_of_fid(o, fid);
    if (s == NULL) return 0;
    out->port = s->port;
    out->peer = s->peer;
    out->flags = s->flags;
    out->len = s->len;
    out->cookie = s->cookie;
    memcpy(out->hw, s->hw, 6);
    out->data = s->data;
    s->fid = 0; /* its buffer stays for the next frame of the slot: data is valid until then */
    o->used--;
    return 1;
}

uint32_t fo_count(struct fo_out *o) { return o->used; }

int fo_recall(struct fo_out *o, uint32_t peer, uint32_t seq, struct fo_sent *out)
{
    if (peer >= FO_MAX_PEERS || o->sent[peer] == NULL) return 0;
    struct fo_sent *e = &o->sent[peer][seq % FO_SENT];
    if (e->kind == 0 || e->seq != seq) return 0;
    *out = *e;
    return 1;
}

static uint32_t next_seq(struct fo_peer *p)
{
    if (p->seq < 0xFFFFFFFFu) p->seq++;
    else { p->seq = 1; p->wrapped = 1; }
    return p->seq;
}

static void remember(struct fo_out *o, uint32_t peer, uint32_t seq, uint32_t kind, const uint8_t *hw, uint64_t n)
{
    struct fo_sent *e = &o->sent[peer][seq % FO_SENT];
    e->seq = seq;
    e->kind = kind;
    memcpy(e->hw, hw, 6);
    e->n = n;
}

static uint8_t *put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); return p + 2; }
static uint8_t *put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); return p + 4; }
static uint8_t *put_nla(uint8_t *p, uint16_t len, uint16_t type) { return put16(put16(p, len), type); }

/* nlmsghdr and genlmsghdr */
static uint8_t *put_head(uint8_t *p, uint32_t len, uint16_t family, uint32_t seq, uint8_t cmd)
{
    p = put32(p, len);
    p = put16(p, family);
    p = put16(p, NLM_F_REQUEST);
    p = put32(p, seq);
    p = put32(p, 0);
    *p++ = cmd;
    *p++ = GENL_VERSION;
    return put16(p, 0);
}

/* genl.encode_delivery: RECEIVER, FRAME, RX_RATE, SIGNAL, FREQ */
static void deliver(struct fo_out *o, struct fo_station *st, const struct fo_slot *s, const struct med_event *e)
{
    struct fo_peer *p = &o->peers[st->peer];
    uint32_t n = s->len, padded = (n + 3) & ~3u;
    uint32_t len = 16 + 4 + 12 + 4 + padded + 16 + 8;
    uint32_t seq = next_seq(p);
    uint8_t *q = p->out + p->out_len, *start = q;
    q = put_head(q, len, (uint16_t)p->family, seq, CMD_FRAME);
    q = put_nla(q, 10, A_RECEIVER);
    memcpy(q, st->hw, 6);
    q[6] = q[7] = 0;
    q += 8;
    q = put_nla(q, (uint16_t)(4 + n), A_FRAME);
    memcpy(q, s->data, n);
    if ((e->flags & MED_RXF_RETRY) && n >= 2) q[1] |= 0x08; /* medium._retry_copy */
    memset(q + n, 0, padded - n);
    q += padded;
    q = put_nla(q, 8, A_RX_RATE);
    q = put32(q, e->rate_idx);
    q = put_nla(q, 8, A_SIGNAL);
    q = put32(q, (uint32_t)e->signal);
    q = put_nla(q, 8, A_FREQ);
    q = put32(q, e->freq);
    p->out_len += (uint32_t)(q - start);
    remember(o, st->peer, seq, FO_SENT_FRAME, st->hw, n);
    p->deliveries++;
    o->counts.rx++;
}

/* genl.encode_tx_info: TRANSMITTER, FLAGS, COOKIE, SIGNAL, TX_INFO (the tries made) */
static void answer(struct fo_out *o, const struct fo_slot *s, const struct med_event *e)
{
    struct fo_peer *p = &o->peers[s->peer];
    uint32_t seq = next_seq(p);
    uint8_t *q = p->out + p->out_len, *start = q;
    int acked = e->flags & MED_STF_ACKED;
    q = put_head(q, 20 + 12 + 8 + 12 + 8 + 12, (uint16_t)p->family, seq, CMD_TX_INFO_FRAME);
    q = put_nla(q, 10, A_TRANSMITTER);
    memcpy(q, s->hw, 6);
    q[6] = q[7] = 0;
    q += 8;
    q = put_nla(q, 8, A_FLAGS);
    q = put32(q, s->flags | (acked ? TX_STAT_ACK : 0));
    q = put_nla(q, 12, A_COOKIE);
    memcpy(q, &s->cookie, 8);
    q += 8;
    q = put_nla(q, 8, A_SIGNAL);
    q = put32(q, (uint32_t)(acked ? e->signal : 0));
    q = put_nla(q, 12, A_TX_INFO);
    uint32_t k = 0;
    for (uint32_t i = 0; i < 4; i++) {
        if (e->rates[i] >= 0 && e->tries[i] > 0) {
            q[2 * k] = (uint8_t)e->rates[i];
            q[2 * k + 1] = e->tries[i];
            k++;
        }
    }
    for (; k < 4; k++) { q[2 * k] = 0xFF; q[2 * k + 1] = 0; }
    q += 8;
    p->out_len += (uint32_t)(q - start);
    remember(o, s->peer, seq, FO_SENT_STATUS, s->hw, s->cookie);
    p->statuses++;
}

int fo_dispatch(struct fo_out *o, struct med_event *rest)
{
    if (o->pop == NULL) return FO_DONE;
    for (;;) {
        if (o->ev_head == o->ev_n) {
            o->ev_head = 0;
            o->ev_n = o->pop(o->medium, o->ev, EVBUF);
            if (o->ev_n == 0) return FO_DONE;
        }
        const struct med_event *e = &o->ev[o->ev_head];
        struct fo_slot *s = slot_of_fid(o, e->frame_id);
        if (s == NULL) goto python; /* a frame Python keeps */
        if (e->kind == MED_EV_RX) {
            if (e->radio >= o->nst) goto python;
            struct fo_station *st = &o->st[e->radio];
            if (st->what == FO_UNBOUND) {
                o->counts.rx++;
                o->counts.rx_no_radio++;
            } else if (st->what == FO_DELIVER && o->peers[st->peer].rx_ok) {
                if (o->peers[st->peer].out_len >= FO_OUT_MAX) return FO_FULL;
                deliver(o, st, s, e);
            } else {
                goto python;
            }
        } else {
            struct fo_peer *p = &o->peers[s->peer];
            /* a transmitter whose port left the medium gets no status, as in Python's
             * dispatch: its entry says Python decides */
            if (!p->status_ok || s->port >= o->nst || o->st[s->port].what == FO_PYTHON) goto python;
            if (p->out_len >= FO_OUT_MAX) return FO_FULL;
            answer(o, s, e);
            o->counts.tx_status++;
            s->fid = 0;
            o->used--;
        }
        o->ev_head++;
        continue;
    python:
        *rest = *e;
        o->ev_head++;
        return FO_REST;
    }
}
