/*
 * The hwsim medium kernel, part one: the PRNG, the containers (address
 * hash, event heap, output queue), airtime, the receive filter and the
 * configuration entry points.  The decisions are in _medium_sim.c; the
 * contract is _medium.h.
 */
#include "_medium_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const uint32_t MED_RATES_100K[MED_NRATES] = {10, 20, 55, 110, 60, 90, 120, 180, 240, 360, 480, 540};
/* AIFSN and CW per AC (VO, VI, BE, BK), 802.11 EDCA defaults. */
const uint32_t MED_AIFSN[4] = {2, 2, 3, 7};
const uint32_t MED_CW_MIN[4] = {3, 7, 15, 15};
const uint32_t MED_CW_MAX[4] = {7, 15, 1023, 1023};
/*
 * Fraction of a 2.4 GHz transmission's power that lands in a receiver tuned
 * n channels (5 MHz each) away, from the overlap of the 802.11 spectral mask
 * (Mishra et al., "Partially overlapped channels not considered harmful",
 * SIGMETRICS 2006).  Six or more channels apart: none.  Other bands: only
 * the same frequency interferes.
 */
const double MED_ACI_LIN[6] = {1.0, 0.7272, 0.2714, 0.0375, 0.0054, 0.0008};

/* -- PRNG: xoshiro256**, seeded through splitmix64 ------------------------- */
static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t med_prng_next(struct medium *m)
{
    uint64_t *s = m->rng;
    uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t; s[3] = rotl(s[3], 45);
    return result;
}

double med_i_uniform(struct medium *m) { return (double)(med_prng_next(m) >> 11) * 0x1.0p-53; }

static void seed_rng(struct medium *m, uint64_t seed)
{
    for (int i = 0; i < 4; i++) {
        uint64_t z = (seed += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        m->rng[i] = z ^ (z >> 31);
    }
}

/* -- address hash: open addressing, linear probing, backward-shift delete --- */
#define HKEY(a) MED_HKEY(a)

static uint32_t hslot(const struct hset *h, uint64_t key)
{
    return (uint32_t)((key * 0x9E3779B97F4A7C15ULL) >> 32) & (h->cap - 1);
}

static int hset_find(const struct hset *h, uint64_t key)
{
    if (!h->cap) return -1;
    for (uint32_t i = hslot(h, key);; i = (i + 1) & (h->cap - 1)) {
        if (h->keys[i] == key) return (int)i;
        if (!h->keys[i]) return -1;
    }
}

static int hset_grow(struct hset *h)
{
    uint32_t ncap = h->cap ? h->cap * 2 : 8;
    uint64_t *ok = h->keys; uint8_t *ov = h->vals; uint32_t ocap = h->cap;
    h->keys = calloc(ncap, sizeof *h->keys);
    h->vals = calloc(ncap, 1);
    if (!h->keys || !h->vals) { free(h->keys); free(h->vals); h->keys = ok; h->vals = ov; return -ENOMEM; }
    h->cap = ncap;
    for (uint32_t i = 0; i < ocap; i++) {
        if (!ok[i]) continue;
        uint32_t j = hslot(h, ok[i]);
        while (h->keys[j]) j = (j + 1) & (ncap - 1);
        h->keys[j] = ok[i]; h->vals[j] = ov[i];
    }
    free(ok); free(ov);
    return 0;
}

#define bloom_bit med_i_bloom_bit

uint8_t med_i_hget(const struct hset *h, uint64_t addr)
{
    if (!(h->bloom & bloom_bit(HKEY(addr)))) return 0;
    int i = hset_find(h, HKEY(addr));
    return i < 0 ? 0 : h->vals[i];
}

static void hset_remove_at(struct hset *h, uint32_t i)
{
    uint32_t mask = h->cap - 1, j = i;
    h->keys[i] = 0; h->count--;
    for (;;) {
        j = (j + 1) & mask;
        if (!h->keys[j]) return;
        uint32_t home = hslot(h, h->keys[j]);
        /* move j back into the hole if its home is not in (i, j] cyclically */
        if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
            h->keys[i] = h->keys[j]; h->vals[i] = h->vals[j];
            h->keys[j] = 0; i = j;
        }
    }
}

/* -- small containers -------------------------------------------------------- */
int med_i_grow(void **p, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap) return 0;
    uint32_t n = *cap ? *cap : 16;
    while (n < need) n *= 2;
    void *q = realloc(*p, (size_t)n * elem);
    if (!q) return -ENOMEM;
    *p = q; *cap = n;
    return 0;
}

void med_i_push(struct medium *m, uint64_t time, uint32_t type, uint32_t a, uint64_t b)
{
    if (med_i_grow((void **)&m->heap, &m->heap_cap, m->nheap + 1, sizeof *m->heap)) abort();
    struct ev e = {time, ++m->seq, type, a, b};
    uint32_t i = m->nheap++;
    while (i) {
        uint32_t p = (i - 1) / 2;
        struct ev *q = &m->heap[p];
        if (q->time < e.time || (q->time == e.time && q->seq < e.seq)) break;
        m->heap[i] = *q; i = p;
    }
    m->heap[i] = e;
}

struct ev med_i_pop(struct medium *m)
{
    struct ev top = m->heap[0], last = m->heap[--m->nheap];
    uint32_t i = 0, n = m->nheap;
    for (;;) {
        uint32_t l = 2 * i + 1, r = l + 1, s = i;
        const struct ev *best = &last;
        if (l < n && (m->heap[l].time < best->time ||
                      (m->heap[l].time == best->time && m->heap[l].seq < best->seq))) { s = l; best = &m->heap[l]; }
        if (r < n && (m->heap[r].time < best->time ||
                      (m->heap[r].time == best->time && m->heap[r].seq < best->seq))) { s = r; best = &m->heap[r]; }
        if (s == i) break;
        m->heap[i] = m->heap[s]; i = s;
    }
    if (n) m->heap[i] = last;
    return top;
}

struct med_event *med_i_emit(struct medium *m)
{
    if (m->out_head && m->out_len == m->out_cap) {
        memmove(m->out, m->out + m->out_head, (size_t)(m->out_len - m->out_head) * sizeof *m->out);
        m->out_len -= m->out_head; m->out_head = 0;
    }
    if (med_i_grow((void **)&m->out, &m->out_cap, m->out_len + 1, sizeof *m->out)) abort();
    struct med_event *e = &m->out[m->out_len++];
    memset(e, 0, sizeof *e);
    e->time_ns = m->now;
    return e;
}

/* -- airtime, rates, channels ----------------------------------------------------- */
/* hwsim_tx_rate_flags (mac80211_hwsim.h) */
#define RC_MCS 0x008u
#define RC_40_MHZ 0x020u
#define RC_SHORT_GI 0x080u
#define RC_VHT_MCS 0x100u
#define RC_80_MHZ 0x200u
#define RC_160_MHZ 0x400u

static const uint32_t N_SD[4] = {52, 108, 234, 468};         /* data subcarriers by bandwidth */
static const uint32_t BITS6[10] = {3, 6, 9, 12, 18, 24, 27, 30, 36, 40}; /* bits/subcarrier x code rate x 6 */
static const uint32_t LEGACY_OF_MCS[10] = {4, 6, 7, 8, 9, 10, 11, 11, 11, 11};

uint32_t med_i_tidx(int32_t idx, uint32_t fl, uint32_t freq)
{
    uint32_t mcs, nss, vht;
    if (fl & RC_VHT_MCS) {
        if (idx < 0 || idx > 0x7F || (idx & 0xF) > 9) return MED_BAD_RATE;
        mcs = (uint32_t)idx & 0xF; nss = (((uint32_t)idx >> 4) & 7) + 1; vht = 1;
    } else if (fl & RC_MCS) {
        if (idx < 0 || idx > 31) return MED_BAD_RATE;
        mcs = (uint32_t)idx & 7; nss = ((uint32_t)idx >> 3) + 1; vht = 0;
    } else {
        int32_t t = freq > 5000 ? idx + 4 : idx;
        return t >= 0 && t < MED_NRATES ? (uint32_t)t : MED_BAD_RATE;
    }
    uint32_t bw = fl & RC_160_MHZ ? 3 : fl & RC_80_MHZ ? 2 : fl & RC_40_MHZ ? 1 : 0;
    uint32_t sgi = fl & RC_SHORT_GI ? 1 : 0;
    return MED_MCS_CODE | vht << 14 | sgi << 13 | bw << 11 | (nss - 1) << 4 | mcs;
}

uint64_t med_airtime_ns(uint32_t tidx, uint32_t len)
{
    if (MED_IS_MCS(tidx)) { /* HT mixed format / VHT: preamble, then 4 us (3.6 us) symbols */
        uint32_t mcs = tidx & 0xF, nss = ((tidx >> 4) & 7) + 1, bw = (tidx >> 11) & 3;
        uint32_t sgi = (tidx >> 13) & 1, vht = (tidx >> 14) & 1;
        uint64_t ndbps = N_SD[bw] * nss * BITS6[mcs] / 6;
        uint64_t nes = (ndbps + 1199) / 1200;
        uint64_t nltf = nss > 2 ? nss + (nss & 1) : nss;
        uint64_t pre = (vht ? 36 : 32) + 4 * nltf;
        uint64_t bits = 16 + 8ULL * (len + 4 * vht) + 6 * nes;
        uint64_t nsym = (bits + ndbps - 1) / ndbps;
        uint64_t data = sgi ? (nsym * 3600 + 3999) / 4000 * 4000 : nsym * 4000;
        return pre * 1000ULL + data;
    }
    if (tidx >= MED_NRATES) tidx = MED_NRATES - 1;
    uint64_t rate = MED_RATES_100K[tidx];
    if (tidx < 4) /* DSSS/CCK: long PLCP preamble and header, then the PSDU */
        return (192 + (8ULL * len * 10 + rate - 1) / rate) * 1000ULL;
    /* OFDM: preamble 16 + SIGNAL 4 + 4 us symbols of SERVICE+PSDU+tail */
    return (16 + 4 + 4 * (((16 + 8ULL * len + 6) * 10 + 4 * rate - 1) / (4 * rate))) * 1000ULL;
}

/* ACKs go at the highest mandatory rate not above the data rate (1/2 Mb/s
 * for DSSS/CCK, 6/12/24 Mb/s for OFDM; an MCS by its one-stream 20 MHz rate). */
uint32_t med_i_ack_tidx(uint32_t tidx)
{
    if (MED_IS_MCS(tidx)) tidx = LEGACY_OF_MCS[tidx & 0xF];
    if (tidx < 4) return tidx >= 1 ? 1 : 0;
    return tidx >= 8 ? 8 : tidx >= 6 ? 6 : 4;
}

/* HWSIM_ATTR_RX_RATE: the kernel takes a legacy index of the band only, so an
 * MCS frame is told at the legacy OFDM rate of its modulation and code. */
uint32_t med_i_rx_rate(uint32_t tidx, uint32_t freq)
{
    if (MED_IS_MCS(tidx)) tidx = LEGACY_OF_MCS[tidx & 0xF];
    return freq > 5000 && tidx >= 4 ? tidx - 4 : tidx;
}

int med_i_accepts(const struct radio *r, const struct med_txreq *q, int owns)
{
    if (r->filter & MED_FIF_PROMISC) return 1;
    if (!MED_IS_GROUP(q->addr1)) return owns;
    if (q->kind == MED_FT_BEACON)
        return (r->filter & MED_FIF_BEACONS) || (q->bssid && (med_i_hget(&r->addrs, q->bssid) & MED_ADDR_BSS));
    if (q->kind == MED_FT_PROBE_REQ) return !!(r->filter & MED_FIF_PROBE_REQ);
    if (r->filter & MED_FIF_ALLMULTI) return 1;
    return q->bssid == 0xFFFFFFFFFFFFULL || (q->bssid && (med_i_hget(&r->addrs, q->bssid) & MED_ADDR_BSS));
}

/* -- life cycle and configuration ------------------------------------------------- */
struct medium *med_new(uint32_t mode, uint64_t seed)
{
    struct medium *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->mode = mode == MED_MODELED ? MED_MODELED : MED_PERFECT;
    seed_rng(m, seed);
    m->frame_free = m->tx_free = -1;
    m->next_id = 1;
    med_set_params(m, -91.0, -82.0, 0.0, 1);
    med_set_cell_reach(m, 0);
    return m;
}

void med_free(struct medium *m)
{
    if (!m) return;
    for (uint32_t i = 0; i < m->nradios; i++) {
        free(m->radios[i].addrs.keys); free(m->radios[i].addrs.vals);
        free(m->links[i].to); free(m->links[i].snr); free(m->links[i].loss);
        free(m->links[i].sense); free(m->links[i].dec);
    }
    for (uint32_t i = 0; i < m->ntx_cap; i++) { free(m->txs[i].sensed); free(m->txs[i].ovl); }
    free(m->radios); free(m->links); free(m->frames); free(m->txs);
    free(m->active); free(m->heap); free(m->out); free(m->idle_tmp); free(m->hdvec); free(m->grp);
    free(m->rxf); free(m->filt); free(m->bloom); free(m->bf); free(m->cs); free(m->ainl); free(m->offs); free(m->ckeys); free(m->chead); free(m->cand);
    free(m->iv_src); free(m->iv_f); free(m->iv_g); free(m->per_tab);
    free(m);
}

static int links_index(const struct medium *m, struct links *l);

uint32_t med_mode(struct medium *m) { return m->mode; }
uint32_t med_num_radios(struct medium *m) { return m->nradios; }

void med_set_params(struct medium *m, double noise_dbm, double cca_dbm, double fading_coef, int interference)
{
    m->noise_dbm = noise_dbm;
    m->noise_mw = pow(10.0, noise_dbm / 10.0);
    m->cca_dbm = cca_dbm;
    m->fading = fading_coef;
    m->interference = interference;
    for (int i = 0; i < 6; i++) m->aci_db[i] = 10.0 * log10(MED_ACI_LIN[i]);
    m->sense_db = cca_dbm - noise_dbm;
    /* fading adds less than 6 |coef| dB (12 uniforms minus 6): below -that
     * the SNR never gets above 0 dB, where the PER is 1 */
    m->decode_db = -6.0 * fabs(fading_coef);
    for (uint32_t i = 0; i < m->nradios; i++)
        if (links_index(m, &m->links[i])) abort(); /* no memory for an index: nothing sane to go on with */
}

int med_set_per_table(struct medium *m, const double *table, uint32_t npts, double step_db)
{
    if (npts < 2 || !(step_db > 0)) return -EINVAL;
    double *t = malloc(sizeof(double) * MED_PER_ROWS * npts);
    if (!t) return -ENOMEM;
    memcpy(t, table, sizeof(double) * MED_PER_ROWS * npts);
    free(m->per_tab);
    m->per_tab = t; m->per_npts = npts; m->per_step = step_db;
    return 0;
}

static int reserve_radios(struct medium *m, uint32_t need)
{
    if (need <= m->cap) return 0;
    uint32_t ncap = m->cap ? m->cap : 16;
    while (ncap < need) ncap *= 2;
    void *mem;
    if (posix_memalign(&mem, 64, ncap * sizeof(struct radio))) return -ENOMEM;
    struct radio *nr = mem;
    if (m->radios) memcpy(nr, m->radios, m->cap * sizeof *nr);
    free(m->radios);
    m->radios = nr;
    struct links *nl = realloc(m->links, ncap * sizeof *nl);
    if (!nl) return -ENOMEM;
    memset(nl + m->cap, 0, (ncap - m->cap) * sizeof *nl);
    m->links = nl;
    uint32_t *it = realloc(m->idle_tmp, ncap * sizeof *it);
    if (!it) return -ENOMEM;
    m->idle_tmp = it;
    uint8_t *hd = realloc(m->hdvec, ncap);
    if (!hd) return -ENOMEM;
    m->hdvec = hd;
    memset(hd, 0, ncap);
    uint32_t *g = realloc(m->grp, ncap * sizeof *g);
    if (!g) return -ENOMEM;
    m->grp = g;
    uint32_t *rf = realloc(m->rxf, ncap * sizeof *rf);
    if (!rf) return -ENOMEM;
    m->rxf = rf;
    uint32_t *fl = realloc(m->filt, ncap * sizeof *fl);
    if (!fl) return -ENOMEM;
    m->filt = fl;
    uint64_t *bl = realloc(m->bloom, ncap * sizeof *bl);
    if (!bl) return -ENOMEM;
    m->bloom = bl;
    struct cs *cs = realloc(m->cs, ncap * sizeof *cs);
    if (!cs) return -ENOMEM;
    m->cs = cs;
    struct bf *bf = realloc(m->bf, ncap * sizeof *bf);
    if (!bf) return -ENOMEM;
    m->bf = bf;
    uint64_t *ai = realloc(m->ainl, (size_t)ncap * MED_AINL * sizeof *ai);
    if (!ai) return -ENOMEM;
    m->ainl = ai;
    m->cap = ncap;
    return 0;
}

int med_add_radio(struct medium *m)
{
    if (reserve_radios(m, m->nradios + 1)) return -ENOMEM;
    struct radio *r = &m->radios[m->nradios];
    memset(r, 0, sizeof *r);
    r->group = 1; r->cur = -1;
    m->grp[m->nradios] = 1;
    m->rxf[m->nradios] = MED_RXF_OFF; m->filt[m->nradios] = 0; m->bloom[m->nradios] = 0;
    memset(&m->bf[m->nradios], 0, sizeof m->bf[0]);
    memset(&m->cs[m->nradios], 0, sizeof m->cs[0]);
    memset(m->ainl + (size_t)m->nradios * MED_AINL, 0, MED_AINL * sizeof *m->ainl);
    for (int a = 0; a < 4; a++) { r->qhead[a] = r->qtail[a] = -1; r->cw[a] = MED_CW_MIN[a]; }
    return (int)m->nradios++;
}

int32_t med_i_frame_alloc(struct medium *m)
{
    if (m->frame_free < 0) {
        uint32_t old = m->nframes_cap;
        if (med_i_grow((void **)&m->frames, &m->nframes_cap, old + 1, sizeof *m->frames)) return -1;
        for (uint32_t i = m->nframes_cap; i-- > old;) { m->frames[i].next = m->frame_free; m->frame_free = (int32_t)i; }
    }
    int32_t f = m->frame_free;
    m->frame_free = m->frames[f].next;
    return f;
}

void med_i_status(struct medium *m, uint32_t s, const struct frame *f, uint8_t flags, int32_t sig)
{
    struct med_event *e = med_i_emit(m);
    e->kind = MED_EV_STATUS; e->radio = s; e->frame_id = f->id; e->flags = flags;
    e->signal = sig; e->freq = f->req.freq;
    for (int k = 0; k < 4; k++) { e->rates[k] = f->req.rate_idx[k]; e->tries[k] = f->tries[k]; }
}

void med_i_finish(struct medium *m, uint32_t s, uint8_t flags, int32_t ack_signal)
{
    struct radio *r = &m->radios[s];
    int32_t f = r->cur;
    med_i_status(m, s, &m->frames[f], flags, ack_signal);
    m->frames[f].next = m->frame_free; m->frame_free = f;
    r->cur = -1;
}

/* PER from the table of log(1 - Pu): linear interpolation, then
 * 1 - (1 - Pu)^(8 len) as -expm1(8 len L).  reference.py does the same. */
double med_i_per(const struct medium *m, double sinr_db, uint32_t tidx, uint32_t len)
{
    uint32_t prow = tidx;
    if (MED_IS_MCS(tidx)) {
        /* a wider channel gathers more noise, streams share the power (rates.snr_offset_db) */
        uint32_t k = (1u << ((tidx >> 11) & 3)) * (((tidx >> 4) & 7) + 1);
        if (k > 1) sinr_db = sinr_db - 10.0 * log10((double)k);
        prow = MED_NRATES + (tidx & 0xF);
    }
    if (sinr_db <= 0.0 || prow >= MED_PER_ROWS || !m->per_tab) return 1.0;
    const double *row = m->per_tab + (size_t)prow * m->per_npts;
    double x = sinr_db / m->per_step, lg;
    if (x >= (double)(m->per_npts - 1)) {
        lg = row[m->per_npts - 1];
    } else {
        uint32_t k = (uint32_t)x;
        double lo = row[k];
        lg = lo + (row[k + 1] - lo) * (x - (double)k);
    }
    return -expm1(8.0 * len * lg);
}

/* A stopped radio gives every queued frame back as dropped. */
static void flush_radio(struct medium *m, uint32_t s)
{
    struct radio *r = &m->radios[s];
    for (int a = 0; a < 4; a++) {
        while (r->qhead[a] >= 0) {
            int32_t f = r->qhead[a];
            r->qhead[a] = m->frames[f].next;
            med_i_status(m, s, &m->frames[f], MED_STF_DROPPED, 0);
            m->frames[f].next = m->frame_free; m->frame_free = f;
        }
        r->qtail[a] = -1; r->qlen[a] = 0;
    }
    if (r->cur >= 0 && !r->in_exchange) {
        m->cs[s].armed = 0; r->gen++;
        med_i_finish(m, s, MED_STF_DROPPED, 0);
    }
}

int med_set_radio(struct medium *m, uint32_t idx, uint32_t state, uint32_t freq, uint32_t tmp_freq,
                  uint32_t group, uint32_t filter, int32_t txpower)
{
    /* MED_RXF_OFF is no channel: the frame path reads it as a stopped radio */
    if (idx >= m->nradios || state > MED_RADIO_OFFCHAN || freq == MED_RXF_OFF || tmp_freq == MED_RXF_OFF)
        return -EINVAL;
    struct radio *r = &m->radios[idx];
    r->state = state; r->freq = freq; r->tmp_freq = tmp_freq;
    r->group = group; r->filter = filter; r->txpower = txpower;
    m->grp[idx] = group;
    m->rxf[idx] = state == MED_RADIO_STOPPED ? MED_RXF_OFF : med_i_rxfreq(r);
    m->filt[idx] = filter;
    if (state == MED_RADIO_STOPPED) flush_radio(m, idx);
    return 0;
}

/* Copy radio idx's address set into its dense slots (m->ainl). */
static void addrs_mirror(struct medium *m, uint32_t idx)
{
    const struct hset *h = &m->radios[idx].addrs;
    uint64_t *a = m->ainl + (size_t)idx * MED_AINL;
    memset(a, 0, MED_AINL * sizeof *a);
    if (h->count > MED_AINL) { a[0] = MED_AINL_HASH; return; }
    uint32_t n = 0;
    for (uint32_t k = 0; k < h->cap; k++)
        if (h->keys[k]) a[n++] = (h->keys[k] & MED_ADDR_MASK) | (uint64_t)h->vals[k] << 48;
}

int med_bf_set(struct medium *m, uint32_t r, uint32_t on, uint64_t bssid, uint32_t pass_all)
{
    if (r >= m->nradios || bssid >> 48) return -EINVAL;
    struct bf *b = &m->bf[r];
    if (on && (!b->on || b->bssid != bssid)) { b->tag = 0; b->signal = 0; } /* the next one goes through */
    b->on = !!on; b->bssid = bssid; b->pass_all = !!pass_all;
    return 0;
}

uint64_t med_bf_count(struct medium *m, uint32_t r, uint64_t *last_ns)
{
    const struct bf *b = r < m->nradios ? &m->bf[r] : NULL;
    if (last_ns) *last_ns = b ? b->last_ns : 0;
    return b ? b->count : 0;
}

int med_addr_add(struct medium *m, uint32_t idx, uint64_t addr, uint32_t kind)
{
    if (idx >= m->nradios || addr >> 48 || !kind || kind > 3) return -EINVAL;
    struct hset *h = &m->radios[idx].addrs;
    int i = hset_find(h, HKEY(addr));
    if (i >= 0) { h->vals[i] |= (uint8_t)kind; addrs_mirror(m, idx); return 0; }
    if ((h->count + 1) * 2 > h->cap && hset_grow(h)) return -ENOMEM;
    uint32_t j = hslot(h, HKEY(addr));
    while (h->keys[j]) j = (j + 1) & (h->cap - 1);
    h->keys[j] = HKEY(addr); h->vals[j] = (uint8_t)kind; h->count++;
    h->bloom |= bloom_bit(HKEY(addr));
    m->bloom[idx] = h->bloom;
    addrs_mirror(m, idx);
    return 0;
}

int med_addr_del(struct medium *m, uint32_t idx, uint64_t addr, uint32_t kind)
{
    if (idx >= m->nradios) return -EINVAL;
    struct hset *h = &m->radios[idx].addrs;
    int i = hset_find(h, HKEY(addr));
    if (i < 0 || !(h->vals[i] & kind)) return -ENOENT;
    h->vals[i] &= (uint8_t)~kind;
    if (!h->vals[i]) {
        hset_remove_at(h, (uint32_t)i);
        h->bloom = 0;
        for (uint32_t k = 0; k < h->cap; k++)
            if (h->keys[k]) h->bloom |= bloom_bit(h->keys[k]);
        m->bloom[idx] = h->bloom;
    }
    addrs_mirror(m, idx);
    return 0;
}

int med_addr_has(struct medium *m, uint32_t idx, uint64_t addr)
{
    return idx < m->nradios ? med_i_hget(&m->radios[idx].addrs, addr) : 0;
}

/* -- links ---------------------------------------------------------------------------- */
int64_t med_i_link(const struct medium *m, uint32_t from, uint32_t to)
{
    const struct links *l = &m->links[from];
    uint32_t lo = 0, hi = l->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (l->to[mid] < to) lo = mid + 1; else hi = mid;
    }
    return lo < l->n && l->to[lo] == to ? (int64_t)lo : -1;
}

/* Rebuild l->sense and l->dec from the links' SNRs. */
static int links_index(const struct medium *m, struct links *l)
{
    uint32_t ns = 0, nd = 0;
    for (uint32_t i = 0; i < l->n; i++) {
        ns += l->snr[i] >= m->sense_db;
        nd += l->snr[i] > m->decode_db;
    }
    if (med_i_grow((void **)&l->sense, &l->sense_cap, ns, sizeof *l->sense) ||
        med_i_grow((void **)&l->dec, &l->dec_cap, nd, sizeof *l->dec)) {
        l->nsense = l->ndec = 0; /* never an index past the links */
        return -ENOMEM;
    }
    l->nsense = l->ndec = 0;
    for (uint32_t i = 0; i < l->n; i++) {
        if (l->snr[i] >= m->sense_db) l->sense[l->nsense++] = i;
        if (l->snr[i] > m->decode_db) l->dec[l->ndec++] = i;
    }
    return 0;
}

static int links_reserve(struct links *l, uint32_t need)
{
    if (need <= l->cap) return 0;
    uint32_t ncap = l->cap ? l->cap : 4;
    while (ncap < need) ncap *= 2;
    uint32_t *to = realloc(l->to, ncap * sizeof *to);
    if (!to) return -ENOMEM;
    l->to = to;
    double *snr = realloc(l->snr, ncap * sizeof *snr);
    if (!snr) return -ENOMEM;
    l->snr = snr;
    if (l->loss) {
        double *loss = realloc(l->loss, ncap * sizeof *loss);
        if (!loss) return -ENOMEM;
        l->loss = loss;
    }
    l->cap = ncap;
    return 0;
}

static int links_want_loss(struct links *l)
{
    if (l->loss) return 0;
    l->loss = calloc(l->cap ? l->cap : 1, sizeof *l->loss);
    return l->loss ? 0 : -ENOMEM;
}

static int link_ok(double snr_db, double loss) { return loss >= 0.0 && loss <= 1.0 && snr_db == snr_db; }

int med_set_link(struct medium *m, uint32_t from, uint32_t to, double snr_db, double loss)
{
    if (from >= m->nradios || to >= m->nradios || from == to || !link_ok(snr_db, loss)) return -EINVAL;
    struct links *l = &m->links[from];
    int64_t k = med_i_link(m, from, to);
    if (snr_db <= MED_SNR_NONE) { /* no link */
        if (k < 0) return 0;
        uint32_t rest = l->n - (uint32_t)k - 1;
        memmove(l->to + k, l->to + k + 1, rest * sizeof *l->to);
        memmove(l->snr + k, l->snr + k + 1, rest * sizeof *l->snr);
        if (l->loss) memmove(l->loss + k, l->loss + k + 1, rest * sizeof *l->loss);
        l->n--; m->nlinks--;
        return links_index(m, l);
    }
    if (loss != 0.0 && links_want_loss(l)) return -ENOMEM;
    if (k < 0) {
        if (links_reserve(l, l->n + 1)) return -ENOMEM;
        uint32_t at = 0;
        while (at < l->n && l->to[at] < to) at++;
        uint32_t rest = l->n - at;
        memmove(l->to + at + 1, l->to + at, rest * sizeof *l->to);
        memmove(l->snr + at + 1, l->snr + at, rest * sizeof *l->snr);
        if (l->loss) memmove(l->loss + at + 1, l->loss + at, rest * sizeof *l->loss);
        l->n++; m->nlinks++;
        k = at;
        l->to[k] = to;
    }
    l->snr[k] = snr_db;
    if (l->loss) l->loss[k] = loss;
    return links_index(m, l);
}

int med_set_row(struct medium *m, uint32_t from, uint32_t n, const uint32_t *to, const double *snr,
                const double *loss)
{
    if (from >= m->nradios) return -EINVAL;
    int any_loss = 0;
    uint32_t keep = 0;
    for (uint32_t i = 0; i < n; i++) {
        double p = loss ? loss[i] : 0.0;
        if (to[i] >= m->nradios || to[i] == from || (i && to[i] <= to[i - 1]) || !link_ok(snr[i], p))
            return -EINVAL;
        keep += snr[i] > MED_SNR_NONE;
        any_loss |= snr[i] > MED_SNR_NONE && p != 0.0;
    }
    struct links *l = &m->links[from];
    if (any_loss && links_want_loss(l)) return -ENOMEM;
    if (links_reserve(l, keep)) return -ENOMEM;
    m->nlinks -= l->n;
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (snr[i] <= MED_SNR_NONE) continue;
        l->to[k] = to[i]; l->snr[k] = snr[i];
        if (l->loss) l->loss[k] = loss ? loss[i] : 0.0;
        k++;
    }
    l->n = k;
    m->nlinks += k;
    return links_index(m, l);
}

int med_set_links(struct medium *m, const double *snr, const double *loss, uint32_t n)
{
    if (n != m->nradios) return -EINVAL;
    uint32_t *to = malloc((n ? n : 1) * sizeof *to);
    double *s = malloc((n ? n : 1) * sizeof *s), *p = malloc((n ? n : 1) * sizeof *p);
    int rc = to && s && p ? 0 : -ENOMEM;
    for (uint32_t i = 0; i < n && !rc; i++) {
        uint32_t k = 0;
        for (uint32_t j = 0; j < n; j++) {
            double v = snr[(size_t)i * n + j], q = loss ? loss[(size_t)i * n + j] : 0.0;
            if (!link_ok(v, q)) { rc = -EINVAL; break; }
            if (j == i || v <= MED_SNR_NONE) continue;
            to[k] = j; s[k] = v; p[k] = q; k++;
        }
        if (!rc) rc = med_set_row(m, i, k, to, s, p);
    }
    free(to); free(s); free(p);
    return rc;
}

int med_get_link(struct medium *m, uint32_t from, uint32_t to, double *snr_db, double *loss)
{
    if (from >= m->nradios || to >= m->nradios) return 0;
    int64_t k = med_i_link(m, from, to);
    if (k < 0) return 0;
    *snr_db = m->links[from].snr[k];
    *loss = m->links[from].loss ? m->links[from].loss[k] : 0.0;
    return 1;
}

uint64_t med_num_links(struct medium *m) { return m->nlinks; }

/* -- the on-air index ------------------------------------------------------------------ */
static uint64_t cell_key(int32_t cx, int32_t cy) { return (uint64_t)(uint32_t)cx << 32 | (uint32_t)cy; }

static uint32_t cell_slot(const struct medium *m, uint64_t key)
{
    return (uint32_t)((key * 0x9E3779B97F4A7C15ULL) >> 32) & (m->ccap - 1);
}

/* Slot of the cell's entry, or -1. */
static int64_t cell_find(const struct medium *m, uint64_t key)
{
    if (!m->ccount) return -1;
    for (uint32_t i = cell_slot(m, key);; i = (i + 1) & (m->ccap - 1)) {
        if (m->chead[i] < 0) return -1;
        if (m->ckeys[i] == key) return i;
    }
}

int32_t med_i_onair_first(const struct medium *m, int32_t cx, int32_t cy)
{
    int64_t i = cell_find(m, cell_key(cx, cy));
    return i < 0 ? -1 : m->chead[i];
}

static void cell_put(struct medium *m, uint64_t key, int32_t head)
{
    uint32_t i = cell_slot(m, key);
    while (m->chead[i] >= 0) i = (i + 1) & (m->ccap - 1);
    m->ckeys[i] = key; m->chead[i] = head;
}

static void cell_grow(struct medium *m)
{
    uint32_t ocap = m->ccap, ncap = ocap ? ocap * 2 : 16;
    uint64_t *ok = m->ckeys; int32_t *oh = m->chead;
    m->ckeys = malloc(ncap * sizeof *m->ckeys);
    m->chead = malloc(ncap * sizeof *m->chead);
    if (!m->ckeys || !m->chead) abort(); /* as every other allocation on the frame path */
    for (uint32_t i = 0; i < ncap; i++) m->chead[i] = -1;
    m->ccap = ncap;
    for (uint32_t i = 0; i < ocap; i++)
        if (oh[i] >= 0) cell_put(m, ok[i], oh[i]);
    free(ok); free(oh);
}

static void cell_remove_at(struct medium *m, uint32_t i)
{
    uint32_t mask = m->ccap - 1, j = i;
    m->chead[i] = -1; m->ccount--;
    for (;;) {
        j = (j + 1) & mask;
        if (m->chead[j] < 0) return;
        uint32_t home = cell_slot(m, m->ckeys[j]);
        if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
            m->ckeys[i] = m->ckeys[j]; m->chead[i] = m->chead[j];
            m->chead[j] = -1; i = j;
        }
    }
}

/* The cell transmissions by radio r are filed under: its own with a reach,
 * one cell for all without. */
static void onair_cell(const struct medium *m, uint32_t r, int32_t *cx, int32_t *cy)
{
    *cx = m->cell_reach ? m->radios[r].cx : 0;
    *cy = m->cell_reach ? m->radios[r].cy : 0;
}

/* A cell's list is in filing order, so in start order unless a sender
 * moved in: appended at its tail, which the head's cprev names (the others'
 * cprev is the one before them). */
static void onair_file(struct medium *m, int32_t ti)
{
    struct tx *t = &m->txs[ti];
    onair_cell(m, t->sender, &t->cx, &t->cy);
    uint64_t key = cell_key(t->cx, t->cy);
    int64_t i = cell_find(m, key);
    t->cnext = -1;
    if (i >= 0) {
        struct tx *head = &m->txs[m->chead[i]];
        t->cprev = head->cprev;
        m->txs[head->cprev].cnext = ti;
        head->cprev = ti;
        return;
    }
    if ((m->ccount + 1) * 2 > m->ccap) cell_grow(m);
    t->cprev = ti;
    cell_put(m, key, ti);
    m->ccount++;
}

static void onair_unfile(struct medium *m, int32_t ti)
{
    struct tx *t = &m->txs[ti];
    struct tx *prev = &m->txs[t->cprev];
    if (prev->cnext == ti) { /* not the head */
        prev->cnext = t->cnext;
        if (t->cnext >= 0) {
            m->txs[t->cnext].cprev = t->cprev;
        } else { /* the tail: the head names the one before it now */
            m->txs[m->chead[cell_find(m, cell_key(t->cx, t->cy))]].cprev = t->cprev;
        }
        return;
    }
    int64_t i = cell_find(m, cell_key(t->cx, t->cy));
    if (t->cnext < 0) {
        cell_remove_at(m, (uint32_t)i);
    } else {
        m->txs[t->cnext].cprev = t->cprev;
        m->chead[i] = t->cnext;
    }
}

void med_i_onair_add(struct medium *m, int32_t ti)
{
    struct tx *t = &m->txs[ti];
    if (med_i_grow((void **)&m->active, &m->active_cap, m->nactive + 1, sizeof *m->active)) abort();
    t->apos = m->nactive;
    m->active[m->nactive++] = (uint32_t)ti;
    m->radios[t->sender].onair++;
    onair_file(m, ti);
}

void med_i_onair_del(struct medium *m, int32_t ti)
{
    struct tx *t = &m->txs[ti];
    uint32_t last = m->active[--m->nactive];
    m->active[t->apos] = last;
    m->txs[last].apos = t->apos;
    m->radios[t->sender].onair--;
    onair_unfile(m, ti);
}

void med_i_ovl_append(struct tx *a, const struct tx *b)
{
    if (med_i_grow((void **)&a->ovl, &a->ovl_cap, a->novl + 1, sizeof *a->ovl)) abort();
    a->ovl[a->novl++] = (struct ovl){b->sender, b->freq, b->seq};
}

/* Record b in a's overlaps unless it is there: at its place by start
 * order, where the reference has it; 1 if it was not. */
static int ovl_insert(struct tx *a, const struct tx *b)
{
    uint32_t lo = 0, hi = a->novl;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (a->ovl[mid].seq < b->seq) lo = mid + 1; else hi = mid;
    }
    if (lo < a->novl && a->ovl[lo].seq == b->seq) return 0;
    if (med_i_grow((void **)&a->ovl, &a->ovl_cap, a->novl + 1, sizeof *a->ovl)) abort();
    memmove(a->ovl + lo + 1, a->ovl + lo, (a->novl - lo) * sizeof *a->ovl);
    a->ovl[lo] = (struct ovl){b->sender, b->freq, b->seq};
    a->novl++;
    return 1;
}

/* Transmission ti's sender came within reach of transmissions on the air
 * it was not compared with when it started (it moved, or the reach grew):
 * record those overlaps now, as if they had been from the start, since
 * its links (or theirs) now may reach a receiver in common. */
static void onair_meet(struct medium *m, int32_t ti)
{
    struct tx *t = &m->txs[ti];
    for (uint32_t k = 0; k < m->noffs; k++) {
        for (int32_t o = med_i_onair_first(m, t->cx + m->offs[2 * k], t->cy + m->offs[2 * k + 1]); o >= 0;
             o = m->txs[o].cnext) {
            if (o == ti) continue;
            m->noverlaps += (uint64_t)ovl_insert(t, &m->txs[o]);
            ovl_insert(&m->txs[o], t);
        }
    }
}

int med_set_cell(struct medium *m, uint32_t r, int32_t cx, int32_t cy)
{
    if (r >= m->nradios) return -EINVAL;
    struct radio *rr = &m->radios[r];
    if (rr->cx == cx && rr->cy == cy) return 0;
    rr->cx = cx; rr->cy = cy;
    /* a radio that moves while it transmits: its transmissions go with it,
     * as its links did */
    for (uint32_t k = 0; rr->onair && m->cell_reach && k < m->nactive; k++) {
        int32_t ti = (int32_t)m->active[k];
        if (m->txs[ti].sender != r) continue;
        onair_unfile(m, ti);
        onair_file(m, ti);
        onair_meet(m, ti);
    }
    return 0;
}

uint64_t med_num_overlaps(struct medium *m) { return m->noverlaps; }

int med_set_cell_reach(struct medium *m, uint32_t reach)
{
    if (reach > MED_MAX_CELL_REACH) return -EINVAL;
    /* the offsets (dx, dy) whose cells come within reach cells of each
     * other: the gap between two cells dx apart is |dx| - 1 cells wide */
    int32_t span = reach ? (int32_t)reach + 1 : 0;
    uint32_t n = 0, side = 2 * (uint32_t)span + 1;
    int32_t *offs = malloc((size_t)side * side * 2 * sizeof *offs);
    if (!offs) abort();
    for (int32_t dx = -span; dx <= span; dx++) {
        for (int32_t dy = -span; dy <= span; dy++) {
            int64_t gx = dx < 0 ? -dx - 1 : dx ? dx - 1 : 0, gy = dy < 0 ? -dy - 1 : dy ? dy - 1 : 0;
            if (gx * gx + gy * gy > (int64_t)reach * reach) continue;
            offs[2 * n] = dx; offs[2 * n + 1] = dy; n++;
        }
    }
    free(m->offs);
    /* a wider reach than before (not from none: then everything met) may
     * bring transmissions on the air within reach of each other */
    int wider = m->cell_reach && reach > m->cell_reach;
    m->offs = offs; m->noffs = n;
    m->cell_reach = reach;
    for (uint32_t k = 0; k < m->nactive; k++) { /* refile what is on the air under the new rule */
        onair_unfile(m, (int32_t)m->active[k]);
        onair_file(m, (int32_t)m->active[k]);
    }
    for (uint32_t k = 0; wider && k < m->nactive; k++) onair_meet(m, (int32_t)m->active[k]);
    return 0;
}

void med_get_counters(struct medium *m, struct med_counters *out) { *out = m->c; }
uint32_t med_pending_events(struct medium *m) { return m->out_len - m->out_head; }

uint32_t med_pop_events(struct medium *m, struct med_event *out, uint32_t cap)
{
    uint32_t n = m->out_len - m->out_head;
    if (n > cap) n = cap;
    memcpy(out, m->out + m->out_head, (size_t)n * sizeof *out);
    m->out_head += n;
    if (m->out_head == m->out_len) m->out_head = m->out_len = 0;
    return n;
}

uint64_t med_next_time(struct medium *m)
{
    /* A frozen or re-armed backoff leaves its old expiry in the heap, where
     * med_run would skip it; dropping it here spares the caller a wake-up
     * for nothing (one per contending radio per frame on a busy channel). */
    while (m->nheap && m->heap[0].type == EV_BACKOFF && m->heap[0].b != m->radios[m->heap[0].a].gen)
        med_i_pop(m);
    return m->nheap ? m->heap[0].time : UINT64_MAX;
}

uint64_t med_now(struct medium *m) { return m->now; }

