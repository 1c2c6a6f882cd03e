/*
 * The medium's decisions: perfect delivery, and the modeled medium's DCF,
 * carrier sense, reception by SINR, ACKs and multi-rate retry.
 *
 * Order matters for determinism: random draws happen only in kick() (a new
 * frame's backoff), attempt_done() (a retry's backoff) and decide()
 * (fading, then the loss draw), and reference.py makes them in the same
 * order.  At a frame's end the order is: carrier-sense release, receptions
 * in radio index order, the sender's completion, then the radios that
 * became idle, in the order they were sensed.
 */
#include "_medium_int.h"

#include <errno.h>
#include <math.h>
#include <string.h>

static void emit_rx(struct medium *m, uint32_t r, const struct frame *f, uint32_t tidx_or_rate,
                    int32_t signal, uint8_t flags)
{
    struct med_event *e = med_i_emit(m);
    e->kind = MED_EV_RX; e->radio = r; e->frame_id = f->id; e->signal = signal;
    e->rate_idx = (uint8_t)tidx_or_rate; e->flags = flags; e->freq = f->req.freq;
}

/* Radio r's beacon filter (med_bf_set) on a beacon r decoded with `signal`:
 * 1 when it keeps the beacon back (counted), 0 when r gets it. */
static int bf_takes(struct medium *m, uint32_t r, const struct med_txreq *q, int32_t signal)
{
    struct bf *b = &m->bf[r];
    if (!b->on || q->kind != MED_FT_BEACON || q->bssid != b->bssid) return 0;
    if (!b->pass_all && q->tag && q->tag == b->tag && signal == b->signal) {
        b->count++; b->last_ns = m->now; m->c.bcn_filtered++;
        return 1;
    }
    b->tag = q->tag; b->signal = signal;
    return 0;
}

/* -- perfect medium: mac80211_hwsim without a daemon -------------------------- */
static void perfect_tx(struct medium *m, uint32_t s, struct frame *f)
{
    const struct med_txreq *q = &f->req;
    const struct radio *sr = &m->radios[s];
    int acked = 0, unicast = !MED_IS_GROUP(q->addr1);
    for (uint32_t r = 0; r < m->nradios; r++) {
        const struct radio *rr = &m->radios[r];
        if (r == s || rr->state == MED_RADIO_STOPPED || med_i_rxfreq(rr) != q->freq || !(rr->group & sr->group))
            continue;
        m->c.link_evals++;
        int owns = unicast && (med_i_hget(&rr->addrs, q->addr1) & MED_ADDR_OWN);
        acked |= owns;
        if (!med_i_accepts(rr, q, owns)) { m->c.filtered++; continue; }
        if (bf_takes(m, r, q, -50 + sr->txpower)) continue;
        m->c.deliveries++;
        emit_rx(m, r, f, med_i_rx_rate(med_i_tidx(q->rate_idx[0], q->rate_flags[0], q->freq), q->freq),
                -50 + sr->txpower, 0);
    }
    f->tries[0] = 1;
    m->c.attempts++;
    uint8_t flags = 0;
    if (q->flags & MED_TXF_NEEDS_ACK) {
        if (acked) { flags = MED_STF_ACKED; m->c.acked++; } else m->c.not_acked++;
    }
    med_i_status(m, s, f, flags, 0);
}

/* -- modeled medium ----------------------------------------------------------- */
static uint32_t aifs_ns(uint32_t ac) { return (uint32_t)(MED_SIFS_NS + MED_AIFSN[ac] * MED_SLOT_NS); }

/* The medium turned busy for radio idx (cs.busy went 0 -> 1): a pending
 * backoff stops, keeping the slots it has left. */
static void freeze(struct medium *m, uint32_t idx)
{
    struct cs *c = &m->cs[idx];
    if (!c->armed) return;
    struct radio *r = &m->radios[idx];
    if (r->bo_deadline == m->now) /* same slot: both transmit */
        return;
    c->armed = 0; r->gen++;
    uint64_t start = c->idle_since + aifs_ns(m->frames[r->cur].req.ac);
    if (m->now > start) {
        uint64_t used = (m->now - start) / MED_SLOT_NS;
        r->slots -= used < r->slots ? (uint32_t)used : r->slots;
    }
}

static void kick(struct medium *m, uint32_t idx)
{
    struct radio *r = &m->radios[idx];
    struct cs *c = &m->cs[idx];
    if (r->state == MED_RADIO_STOPPED || r->in_exchange || r->acking) return;
    if (r->cur < 0) {
        int ac = 0;
        while (ac < 4 && r->qhead[ac] < 0) ac++;
        if (ac == 4) { c->work = 0; return; }
        int32_t f = r->qhead[ac];
        r->qhead[ac] = m->frames[f].next;
        if (r->qhead[ac] < 0) r->qtail[ac] = -1;
        r->qlen[ac]--;
        r->cur = f;
        r->slots = (uint32_t)(med_prng_next(m) % (r->cw[ac] + 1));
    }
    if (c->busy || c->armed) return;
    uint64_t deadline = c->idle_since + aifs_ns(m->frames[r->cur].req.ac) + (uint64_t)r->slots * MED_SLOT_NS;
    if (deadline < m->now) deadline = m->now;
    r->gen++;
    c->armed = 1; r->bo_deadline = deadline;
    med_i_push(m, deadline, EV_BACKOFF, idx, r->gen);
}

static int32_t tx_alloc(struct medium *m)
{
    if (m->tx_free < 0) {
        uint32_t old = m->ntx_cap;
        if (med_i_grow((void **)&m->txs, &m->ntx_cap, old + 1, sizeof *m->txs)) abort();
        memset(m->txs + old, 0, (m->ntx_cap - old) * sizeof *m->txs);
        for (uint32_t i = m->ntx_cap; i-- > old;) { m->txs[i].next_free = m->tx_free; m->tx_free = (int32_t)i; }
    }
    int32_t t = m->tx_free;
    m->tx_free = m->txs[t].next_free;
    return t;
}


/* Put a transmission on the air: overlaps, carrier sense, its end event.
 *
 * Overlaps are the transmissions on the air filed under the cells within
 * reach of the sender's (all of them without cells), recorded in the order
 * they started, as the reference records every transmission on the air:
 * the ones left out have no receiver in common with this one, so the
 * interference sums are the same doubles. */
static void start_tx(struct medium *m, uint32_t s, uint32_t freq, uint32_t tidx, uint32_t len,
                     int32_t frame, int ctl, uint32_t ack_for, int retry)
{
    int32_t ti = tx_alloc(m);
    struct tx *t = &m->txs[ti];
    t->sender = s; t->freq = freq; t->tidx = tidx; t->len = len; t->frame = frame;
    t->ctl = (uint8_t)ctl; t->ack_for = ack_for; t->retry = (uint8_t)retry;
    t->end = m->now + med_airtime_ns(tidx, len + MED_FCS_LEN);
    t->novl = t->nsensed = 0;
    t->seq = m->txseq++;
    uint32_t nc = 0;
    if (m->nactive) {
        if (med_i_grow((void **)&m->cand, &m->cand_cap, m->nactive, sizeof *m->cand)) abort();
        int32_t cx = m->cell_reach ? m->radios[s].cx : 0, cy = m->cell_reach ? m->radios[s].cy : 0;
        for (uint32_t k = 0; k < m->noffs && nc < m->nactive; k++) {
            int32_t o = med_i_onair_first(m, cx + m->offs[2 * k], cy + m->offs[2 * k + 1]);
            for (; o >= 0; o = m->txs[o].cnext) {
                /* insertion by start order: a handful on the air nearby */
                uint64_t seq = m->txs[o].seq;
                uint32_t at = nc++;
                while (at && m->txs[m->cand[at - 1]].seq > seq) { m->cand[at] = m->cand[at - 1]; at--; }
                m->cand[at] = (uint32_t)o;
            }
        }
    }
    m->noverlaps += nc;
    for (uint32_t k = 0; k < nc; k++) {
        struct tx *o = &m->txs[m->cand[k]];
        med_i_ovl_append(t, o);
        med_i_ovl_append(o, t);
    }
    med_i_onair_add(m, ti);
    const struct links *l = &m->links[s];
    if (med_i_grow((void **)&t->sensed, &t->sensed_cap, l->nsense, sizeof *t->sensed)) abort();
    uint32_t sgrp = m->grp[s];
    double thresh = m->cca_dbm - m->noise_dbm;
    for (uint32_t h = 0; h < l->nsense; h++) {
        uint32_t i = l->sense[h], r = l->to[i];
        if (!(m->grp[r] & sgrp)) continue;
        int sep = med_i_chan_sep(freq, m->rxf[r]); /* -1 for a stopped radio */
        if (sep < 0 || l->snr[i] + m->aci_db[sep] < thresh) continue;
        t->sensed[t->nsensed++] = r;
        if (m->cs[r].busy++ == 0) freeze(m, r);
    }
    m->c.attempts += ctl == CTL_DATA;
    med_i_push(m, t->end, EV_TX_END, (uint32_t)ti, 0);
}

/* Per frame end, before the receiver loop: mark the radios that
 * transmitted during t (half duplex) and list the interferers that can reach
 * t's channel, with their sender, channel factor and group, in overlap
 * order. */
static void judge_prepare(struct medium *m, const struct tx *t)
{
    uint32_t cap = m->iv_cap;
    if (med_i_grow((void **)&m->iv_src, &cap, t->novl, sizeof *m->iv_src)) abort();
    cap = m->iv_cap;
    if (med_i_grow((void **)&m->iv_f, &cap, t->novl, sizeof *m->iv_f)) abort();
    cap = m->iv_cap;
    if (med_i_grow((void **)&m->iv_g, &cap, t->novl, sizeof *m->iv_g)) abort();
    m->iv_cap = cap;
    m->niv = 0;
    for (uint32_t i = 0; i < t->novl; i++) {
        const struct ovl *o = &t->ovl[i];
        m->hdvec[o->sender] = 1;
        int sep = med_i_chan_sep(o->freq, t->freq);
        if (sep < 0) continue;
        m->iv_src[m->niv] = o->sender;
        m->iv_f[m->niv] = MED_ACI_LIN[sep];
        m->iv_g[m->niv] = m->grp[o->sender];
        m->niv++;
    }
}

static void judge_done(struct medium *m, const struct tx *t)
{
    for (uint32_t i = 0; i < t->novl; i++) m->hdvec[t->ovl[i].sender] = 0;
}

static double power_mw(const struct medium *m, double snr_db)
{
    return pow(10.0, (snr_db + m->noise_dbm) / 10.0);
}

/* Power in mW that radio `from` puts at radio `to`; 0 without a link. */
static double link_mw(const struct medium *m, uint32_t from, uint32_t to)
{
    int64_t k = med_i_link(m, from, to);
    return k < 0 ? 0.0 : power_mw(m, m->links[from].snr[k]);
}

/*
 * Decide whether radio r, linked to t's sender with (snr, link_loss),
 * decodes transmission t: 1 yes (*signal set), 0 no.  judge_prepare(t) must
 * have run.
 *
 * Interference is summed in overlap order, as reference.py does, but stops
 * as soon as noise + partial sum reaches the signal power: partial sums of
 * non-negative doubles never decrease, so the full sum would give SINR <= 0
 * dB too, i.e. PER 1 without a draw: the same decision, far fewer terms
 * when many frames collide.
 */
static int decide(struct medium *m, const struct tx *t, uint32_t r, double snr, double link_loss,
                  int32_t *signal)
{
    /* Half duplex is part of interference: without it (wmediumd's default) frames on the
     * air do not touch each other at all, and a radio hears while it sends, as wmediumd's
     * receivers do (hostap's mesh tests count on it). */
    if (m->interference && t->novl && m->hdvec[r]) { m->c.halfduplex++; return 0; }
    double fade = 0.0;
    if (m->fading != 0.0) {
        double sum = 0.0;
        for (int i = 0; i < 12; i++) sum += med_i_uniform(m);
        fade = m->fading * (sum - 6.0);
    }
    double sig = snr + fade, interf = 0.0, per = 1.0;
    if (m->interference && m->niv) {
        double s_mw = power_mw(m, sig);
        double noise = m->noise_mw;
        uint32_t grp = m->grp[r];
        int swamped = 0;
        for (uint32_t i = 0; i < m->niv; i++) {
            if (!(m->iv_g[i] & grp)) continue;
            interf += link_mw(m, m->iv_src[i], r) * m->iv_f[i];
            if (interf > 0.0 && noise + interf >= s_mw) { swamped = 1; break; }
        }
        if (!swamped && interf > 0.0) {
            double ratio = s_mw / (noise + interf);
            if (ratio > 1.0) per = med_i_per(m, 10.0 * log10(ratio), t->tidx, t->len);
        }
    }
    if (interf == 0.0) per = med_i_per(m, sig, t->tidx, t->len);
    double loss = 1.0 - (1.0 - link_loss) * (1.0 - per);
    int ok = loss >= 1.0 ? 0 : loss <= 0.0 ? 1 : med_i_uniform(m) >= loss;
    if (!ok) {
        if (interf > 0.0) { m->c.collisions++; m->hit = 1; } else m->c.drops++;
        return 0;
    }
    *signal = (int32_t)floor(sig + m->noise_dbm + 0.5);
    return 1;
}

static void attempt_done(struct medium *m, uint32_t s, int acked, int32_t ack_signal)
{
    struct radio *r = &m->radios[s];
    r->in_exchange = 0;
    if (!m->cs[s].busy) m->cs[s].idle_since = m->now;
    struct frame *f = &m->frames[r->cur];
    uint32_t ac = f->req.ac;
    if (acked) {
        m->c.acked++;
        r->cw[ac] = MED_CW_MIN[ac];
        med_i_finish(m, s, MED_STF_ACKED, ack_signal);
    } else if (!(f->req.flags & MED_TXF_NEEDS_ACK)) {
        r->cw[ac] = MED_CW_MIN[ac];
        med_i_finish(m, s, 0, 0);
    } else {
        if (f->tries[f->stage] >= f->req.rate_count[f->stage]) f->stage++;
        if (r->state == MED_RADIO_STOPPED || f->stage >= 4 || f->req.rate_idx[f->stage] < 0) {
            m->c.not_acked++;
            r->cw[ac] = MED_CW_MIN[ac];
            med_i_finish(m, s, 0, 0);
        } else {
            r->cw[ac] = 2 * r->cw[ac] + 1 > MED_CW_MAX[ac] ? MED_CW_MAX[ac] : 2 * r->cw[ac] + 1;
            r->slots = (uint32_t)(med_prng_next(m) % (r->cw[ac] + 1));
        }
    }
    kick(m, s);
}

static uint32_t data_tidx(const struct frame *f)
{
    return med_i_tidx(f->req.rate_idx[f->stage], f->req.rate_flags[f->stage], f->req.freq);
}

/* The air a frame still needs after a control frame: SIFS, the frame, and
 * SIFS and its ACK if it wants one (an RTS's or CTS's Duration). */
static uint64_t data_and_ack_ns(const struct frame *f)
{
    uint32_t tidx = data_tidx(f);
    uint64_t ns = MED_SIFS_NS + med_airtime_ns(tidx, f->req.length + MED_FCS_LEN);
    if ((f->req.flags & MED_TXF_NEEDS_ACK) && !MED_IS_GROUP(f->req.addr1))
        ns += MED_SIFS_NS + med_airtime_ns(med_i_ack_tidx(tidx), MED_ACK_LEN + MED_FCS_LEN);
    return ns;
}

/* A try of the frame in service: its data, or first the RTS or the CTS to
 * itself its rate asks for (sent at the ACK's rate, a basic rate). */
static void start_data(struct medium *m, uint32_t s)
{
    struct radio *r = &m->radios[s];
    struct frame *f = &m->frames[r->cur];
    uint32_t tidx = data_tidx(f);
    uint32_t rc = f->req.rate_flags[f->stage];
    int retry = f->attempts > 0;
    f->tries[f->stage]++;
    f->attempts++;
    m->c.retries += (uint64_t)retry;
    r->in_exchange = 1;
    if ((rc & MED_RC_USE_RTS_CTS) && (f->req.flags & MED_TXF_NEEDS_ACK) && !MED_IS_GROUP(f->req.addr1)) {
        m->c.rts++;
        start_tx(m, s, f->req.freq, med_i_ack_tidx(tidx), MED_RTS_LEN, r->cur, CTL_RTS, 0, 0);
    } else if (rc & (MED_RC_USE_RTS_CTS | MED_RC_USE_CTS_PROTECT)) {
        m->c.cts++;
        start_tx(m, s, f->req.freq, med_i_ack_tidx(tidx), MED_CTS_LEN, r->cur, CTL_CTS_SELF, s, 0);
    } else {
        start_tx(m, s, f->req.freq, tidx, f->req.length, r->cur, CTL_DATA, 0, retry);
    }
}

/* The frame itself, SIFS after the CTS that cleared the air for it. */
static void data_start(struct medium *m, uint32_t s)
{
    struct radio *r = &m->radios[s];
    struct frame *f = &m->frames[r->cur]; /* in exchange: cur kept */
    if (r->state == MED_RADIO_STOPPED) { attempt_done(m, s, 0, 0); return; }
    start_tx(m, s, f->req.freq, data_tidx(f), f->req.length, r->cur, CTL_DATA, 0, f->attempts > 1);
}

/* Virtual carrier sense: radio r defers (counts the medium busy) until `until`. */
static void set_nav(struct medium *m, uint32_t r, uint64_t until)
{
    struct radio *rr = &m->radios[r];
    if (until <= rr->nav_until) return;
    m->c.navs++;
    rr->nav_until = until;
    rr->nav_gen++;
    if (!rr->nav_on) {
        rr->nav_on = 1;
        if (m->cs[r].busy++ == 0) freeze(m, r);
    }
    med_i_push(m, until, EV_NAV_END, r, rr->nav_gen);
}

static void nav_end(struct medium *m, uint32_t r, uint64_t gen)
{
    struct radio *rr = &m->radios[r];
    if (gen != rr->nav_gen || !rr->nav_on) return; /* extended since */
    rr->nav_on = 0;
    if (--m->cs[r].busy == 0) { m->cs[r].idle_since = m->now; kick(m, r); }
}

/* med_i_accepts (and whether r owns a unicast addr1) from the dense
 * filter, address bloom and address arrays: a radio's addresses are looked
 * at only when the bloom says the address may be there. */
static int in_bss(const struct medium *m, uint32_t r, uint64_t bssid, uint64_t bssbit)
{
    return bssid && (m->bloom[r] & bssbit) && (med_i_addr_kind(m, r, bssid) & MED_ADDR_BSS);
}

static int rx_wants(const struct medium *m, uint32_t r, const struct med_txreq *q, uint64_t a1bit,
                    uint64_t bssbit, int *owns)
{
    uint32_t fl = m->filt[r];
    *owns = 0;
    if (!MED_IS_GROUP(q->addr1)) {
        if (m->bloom[r] & a1bit) *owns = !!(med_i_addr_kind(m, r, q->addr1) & MED_ADDR_OWN);
        return (fl & MED_FIF_PROMISC) || *owns;
    }
    if (fl & MED_FIF_PROMISC) return 1;
    if (q->kind == MED_FT_BEACON) return (fl & MED_FIF_BEACONS) || in_bss(m, r, q->bssid, bssbit);
    if (q->kind == MED_FT_PROBE_REQ) return !!(fl & MED_FIF_PROBE_REQ);
    if (fl & MED_FIF_ALLMULTI) return 1;
    return q->bssid == 0xFFFFFFFFFFFFULL || in_bss(m, r, q->bssid, bssbit);
}

static void data_end(struct medium *m, const struct tx *t)
{
    uint32_t s = t->sender;
    struct frame *f = &m->frames[t->frame];
    const struct med_txreq *q = &f->req;
    uint32_t sgrp = m->radios[s].group;
    int needs_ack = (q->flags & MED_TXF_NEEDS_ACK) && !MED_IS_GROUP(q->addr1);
    int64_t acker = -1;
    uint32_t rate = med_i_rx_rate(t->tidx, t->freq);
    judge_prepare(m, t);
    m->hit = 0;
    const struct links *l = &m->links[s];
    uint64_t a1bit = med_i_bloom_bit(MED_HKEY(q->addr1)), bssbit = med_i_bloom_bit(MED_HKEY(q->bssid));
    /* only the radios that can decode it (l->dec) */
    for (uint32_t h = 0; h < l->ndec; h++) {
        uint32_t i = l->dec[h], r = l->to[i];
        if (m->rxf[r] != t->freq || !(m->grp[r] & sgrp)) continue; /* stopped: MED_RXF_OFF */
        m->c.link_evals++;
        int owns;
        if (!rx_wants(m, r, q, a1bit, bssbit, &owns)) { m->c.filtered++; continue; }
        int32_t sig = 0;
        if (!decide(m, t, r, l->snr[i], l->loss ? l->loss[i] : 0.0, &sig)) continue;
        if (bf_takes(m, r, q, sig)) continue;
        m->c.deliveries++;
        emit_rx(m, r, f, rate, sig, t->retry ? MED_RXF_RETRY : 0);
        /* one ACK at a time: a radio already due to ACK another frame (ended within
         * SIFS: only without interference can both decode) leaves this one unACKed */
        if (owns && needs_ack && acker < 0 && !m->radios[r].acking) acker = r;
    }
    judge_done(m, t);
    m->c.collided += m->hit;
    if (!needs_ack) {
        attempt_done(m, s, 0, 0);
    } else if (acker >= 0) {
        struct radio *a = &m->radios[acker];
        a->acking = 1;
        freeze(m, (uint32_t)acker);
        a->ack_to = s; a->ack_freq = t->freq; a->ack_tidx = med_i_ack_tidx(t->tidx);
        med_i_push(m, m->now + MED_SIFS_NS, EV_ACK_START, (uint32_t)acker, 0);
    } else {
        uint64_t ack = med_airtime_ns(med_i_ack_tidx(t->tidx), MED_ACK_LEN + MED_FCS_LEN);
        med_i_push(m, m->now + MED_SIFS_NS + ack, EV_ACK_TIMEOUT, s, 0);
    }
}

static void ack_start(struct medium *m, uint32_t a)
{
    struct radio *r = &m->radios[a];
    if (r->state == MED_RADIO_STOPPED) { /* went away during SIFS: no ACK (or CTS) */
        r->acking = 0;
        r->resp_cts = 0;
        med_i_push(m, m->now + med_airtime_ns(r->ack_tidx, MED_ACK_LEN + MED_FCS_LEN), EV_ACK_TIMEOUT,
                   r->ack_to, 0);
        return;
    }
    if (r->resp_cts) {
        m->c.cts++;
        start_tx(m, a, r->ack_freq, r->ack_tidx, MED_CTS_LEN, -1, CTL_CTS, r->ack_to, 0);
        return;
    }
    m->c.acks++;
    start_tx(m, a, r->ack_freq, r->ack_tidx, MED_ACK_LEN, -1, CTL_ACK, r->ack_to, 0);
}

static void ack_end(struct medium *m, const struct tx *t)
{
    uint32_t a = t->sender, s = t->ack_for;
    struct radio *ar = &m->radios[a], *sr = &m->radios[s];
    ar->acking = 0;
    if (!m->cs[a].busy) m->cs[a].idle_since = m->now;
    int32_t sig = 0;
    int ok = 0;
    double snr, loss;
    if (sr->state != MED_RADIO_STOPPED && med_i_rxfreq(sr) == t->freq && (sr->group & ar->group) &&
        med_get_link(m, a, s, &snr, &loss) && snr > m->decode_db) {
        judge_prepare(m, t);
        m->hit = 0;
        ok = decide(m, t, s, snr, loss, &sig);
        m->c.collided += m->hit;
        judge_done(m, t);
    }
    attempt_done(m, s, ok, ok ? sig : 0);
    kick(m, a);
}

/* An RTS ended: the radio it names answers CTS after SIFS if it decoded it
 * and its NAV is clear; every other radio that decoded it defers for the
 * exchange it announces (its Duration: CTS, the frame, the ACK). */
static void rts_end(struct medium *m, const struct tx *t)
{
    uint32_t s = t->sender;
    const struct frame *f = &m->frames[t->frame];
    const struct med_txreq *q = &f->req;
    uint32_t sgrp = m->radios[s].group;
    uint64_t cts = med_airtime_ns(t->tidx, MED_CTS_LEN + MED_FCS_LEN);
    uint64_t until = m->now + MED_SIFS_NS + cts + data_and_ack_ns(f);
    int64_t responder = -1;
    judge_prepare(m, t);
    m->hit = 0;
    const struct links *l = &m->links[s];
    uint64_t a1bit = med_i_bloom_bit(MED_HKEY(q->addr1));
    for (uint32_t h = 0; h < l->ndec; h++) {
        uint32_t i = l->dec[h], r = l->to[i];
        if (m->rxf[r] != t->freq || !(m->grp[r] & sgrp)) continue;
        int32_t sig = 0;
        if (!decide(m, t, r, l->snr[i], l->loss ? l->loss[i] : 0.0, &sig)) continue;
        struct radio *rr = &m->radios[r];
        int owns = (m->bloom[r] & a1bit) && (med_i_addr_kind(m, r, q->addr1) & MED_ADDR_OWN);
        if (owns && responder < 0) {
            if (!rr->acking && !rr->nav_on) responder = r;
        } else if (!owns) {
            set_nav(m, r, until);
        }
    }
    judge_done(m, t);
    m->c.collided += m->hit;
    if (responder >= 0) {
        struct radio *a = &m->radios[responder];
        a->acking = 1;
        a->resp_cts = 1;
        freeze(m, (uint32_t)responder);
        a->ack_to = s; a->ack_freq = t->freq; a->ack_tidx = t->tidx;
        med_i_push(m, m->now + MED_SIFS_NS, EV_ACK_START, (uint32_t)responder, 0);
    } else {
        med_i_push(m, m->now + MED_SIFS_NS + cts, EV_ACK_TIMEOUT, s, 0);
    }
}

/* A CTS ended (an answer to an RTS, or one to itself): every radio that
 * decoded it defers for the frame and its ACK; the frame's sender, if it
 * heard it (it sent it, for a CTS to itself), sends the frame after SIFS. */
static void cts_end(struct medium *m, const struct tx *t)
{
    uint32_t c = t->sender, s = t->ack_for;
    struct radio *cr = &m->radios[c], *sr = &m->radios[s];
    int to_self = t->ctl == CTL_CTS_SELF;
    if (!to_self) {
        cr->acking = 0;
        cr->resp_cts = 0;
        if (!m->cs[c].busy) m->cs[c].idle_since = m->now;
    }
    uint64_t until = m->now + data_and_ack_ns(&m->frames[sr->cur]); /* in exchange: cur kept */
    int heard = to_self;
    uint32_t cgrp = cr->group;
    judge_prepare(m, t);
    m->hit = 0;
    const struct links *l = &m->links[c];
    for (uint32_t h = 0; h < l->ndec; h++) {
        uint32_t i = l->dec[h], r = l->to[i];
        if (m->rxf[r] != t->freq || !(m->grp[r] & cgrp)) continue;
        int32_t sig = 0;
        if (!decide(m, t, r, l->snr[i], l->loss ? l->loss[i] : 0.0, &sig)) continue;
        if (r == s) heard = 1; else set_nav(m, r, until);
    }
    judge_done(m, t);
    m->c.collided += m->hit;
    if (heard) med_i_push(m, m->now + MED_SIFS_NS, EV_DATA_START, s, 0);
    else attempt_done(m, s, 0, 0);
    if (!to_self) kick(m, c);
}

static void tx_end(struct medium *m, uint32_t ti)
{
    struct tx *t = &m->txs[ti];
    uint32_t nidle = 0;
    med_i_onair_del(m, (int32_t)ti);
    for (uint32_t i = 0; i < t->nsensed; i++) {
        struct cs *c = &m->cs[t->sensed[i]];
        /* only a radio that may have a frame to send has anything to resume */
        if (--c->busy == 0) { c->idle_since = m->now; if (c->work) m->idle_tmp[nidle++] = t->sensed[i]; }
    }
    switch (t->ctl) {
    case CTL_DATA: data_end(m, t); break;
    case CTL_ACK: ack_end(m, t); break;
    case CTL_RTS: rts_end(m, t); break;
    default: cts_end(m, t); break; /* CTL_CTS, CTL_CTS_SELF */
    }
    for (uint32_t i = 0; i < nidle; i++) kick(m, m->idle_tmp[i]);
    t->next_free = m->tx_free; m->tx_free = (int32_t)ti;
}

void med_run(struct medium *m, uint64_t until)
{
    while (m->nheap && m->heap[0].time <= until) {
        struct ev e = med_i_pop(m);
        m->now = e.time;
        switch (e.type) {
        case EV_BACKOFF: {
            struct radio *r = &m->radios[e.a];
            if (e.b != r->gen) break; /* stale: frozen or re-armed since */
            m->cs[e.a].armed = 0;
            if (r->cur >= 0 && r->state != MED_RADIO_STOPPED) start_data(m, e.a);
            break;
        }
        case EV_TX_END: tx_end(m, e.a); break;
        case EV_ACK_START: ack_start(m, e.a); break;
        case EV_ACK_TIMEOUT: attempt_done(m, e.a, 0, 0); break;
        case EV_NAV_END: nav_end(m, e.a, e.b); break;
        case EV_DATA_START: data_start(m, e.a); break;
        }
    }
    if (until > m->now && until != UINT64_MAX) m->now = until;
}

uint32_t med_run_ahead(struct medium *m, uint64_t until)
{
    uint32_t n = 0;
    uint64_t t;
    while (m->out_len == m->out_head && (t = med_next_time(m)) <= until) {
        med_run(m, t);
        n++;
    }
    return n;
}

int64_t med_tx(struct medium *m, const struct med_txreq *req, uint64_t now)
{
    if (req->radio >= m->nradios || req->length < 10 || req->length > MED_MAX_LEN || req->ac > 3 ||
        req->rate_idx[0] < 0 || !req->rate_count[0])
        return -EINVAL;
    struct radio *r = &m->radios[req->radio];
    if (r->state == MED_RADIO_STOPPED) return -ENETDOWN;
    uint32_t freq = req->freq ? req->freq : med_i_rxfreq(r);
    for (int k = 0; k < 4 && req->rate_idx[k] >= 0 && req->rate_count[k]; k++)
        if (med_i_tidx(req->rate_idx[k], req->rate_flags[k], freq) == MED_BAD_RATE) return -EINVAL;
    if (m->mode == MED_MODELED && r->qlen[req->ac] >= MED_QUEUE_CAP) { m->c.queue_drops++; return -ENOBUFS; }
    int32_t fi = med_i_frame_alloc(m);
    if (fi < 0) return -ENOMEM;
    struct frame *f = &m->frames[fi];
    memset(f, 0, sizeof *f);
    f->req = *req;
    f->req.freq = freq;
    /* the chain ends at its first empty entry */
    for (int k = 0, end = 0; k < 4; k++) {
        end |= f->req.rate_idx[k] < 0 || !f->req.rate_count[k];
        if (end) { f->req.rate_idx[k] = -1; f->req.rate_count[k] = 0; f->req.rate_flags[k] = 0; }
    }
    if (MED_IS_GROUP(req->addr1)) f->req.flags &= (uint8_t)~MED_TXF_NEEDS_ACK;
    f->id = m->next_id++;
    f->next = -1;
    m->c.frames++;
    if (now > m->now) m->now = now;
    if (m->mode == MED_PERFECT) {
        perfect_tx(m, req->radio, f);
        f->next = m->frame_free; m->frame_free = fi;
        return (int64_t)f->id;
    }
    uint32_t ac = req->ac;
    if (r->qtail[ac] >= 0) m->frames[r->qtail[ac]].next = fi; else r->qhead[ac] = fi;
    r->qtail[ac] = fi; r->qlen[ac]++;
    m->cs[req->radio].work = 1;
    kick(m, req->radio);
    return (int64_t)f->id;
}

int64_t med_tx_fields(struct medium *m, uint32_t radio, uint32_t length, uint64_t addr1, uint64_t addr2,
                      uint64_t addr3, uint64_t bssid, uint32_t freq, uint32_t kind, uint32_t flags,
                      uint32_t ac, uint32_t rate_idx, uint32_t rate_count, uint64_t rate_flags,
                      uint32_t tag, uint64_t now)
{
    if (kind > 255 || flags > 255 || ac > 255) return -EINVAL;
    struct med_txreq q = {addr1, addr2, addr3, bssid, radio, length, freq, (uint8_t)kind, (uint8_t)flags,
                          (uint8_t)ac, {0}, {0}, {0}, tag};
    for (int k = 0; k < 4; k++) {
        q.rate_idx[k] = (int8_t)(uint8_t)(rate_idx >> (8 * k));
        q.rate_count[k] = (uint8_t)(rate_count >> (8 * k));
        q.rate_flags[k] = (uint16_t)(rate_flags >> (16 * k));
    }
    return med_tx(m, &q, now);
}
