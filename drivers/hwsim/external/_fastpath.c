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

typedef int64_t (*tx_fields_fn)(void *m, uint32_t radio, uint32_t length, uint64_t addr1, uint64_t addr2,
                                 uint64_t addr3, uint64_t bssid, uint32_t freq, uint32_t kind, uint32_t flags,
                                 uint32_t ac, uint32_t rate_idx, uint32_t rate_count, uint64_t now_ns);

struct entry {
    uint64_t hw;  /* the key */
    uint32_t gen; /* the table's generation when added: an older one is a free slot */
    uint32_t station, freq, rx_freq, n2; /* n2 == 0: forgotten (its slot stays in the chain) */
    uint64_t addr2[MAX_ADDR2];
};

struct fp_table {
    void *medium;
    tx_fields_fn tx;
    struct fp_put *put;
    uint32_t used;
    uint32_t gen; /* starts at 1: calloc's zeros are free slots */
    struct entry slots[CAP];
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
    for (uint32_t k = 0; k < n2; k++) e->addr2[k] = mac(addr2s + 6 * k);
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
    out->cookie = rd64(d + off + 48);
    out->radio = 0;
    return 1;
}

int64_t fp_frame_in(struct fp_table *t, const uint8_t *d, uint32_t n, uint32_t family, uint64_t now_ns,
                    struct fp_frame *out)
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
    uint32_t idx = 0, cnt = 0, shift = 0;
    for (k = 0; k < 4; k++) {
        int8_t i = (int8_t)out->tx_info[2 * k];
        if (i < 0) break;
        uint8_t c = out->tx_info[2 * k + 1];
        idx |= (uint32_t)(uint8_t)i << shift;
        cnt |= (uint32_t)(c ? c : 1) << shift;
        shift += 8;
    }
    if (shift == 0) {
        cnt = 1;
        shift = 8;
    }
    if (shift < 32) idx |= (0xFFFFFFFFu >> shift) << shift;
    out->radio = e->station;
    int64_t fid = t->tx(t->medium, e->station, flen, addr1, addr2, addr3, bssid, e->rx_freq, kind, flags, AC_BE,
                        idx, cnt, now_ns);
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
