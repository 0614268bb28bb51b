// SPDX-License-Identifier: GPL-2.0
/*
 * Transactions, in the way of nf_tables. ms_txn_execute() runs the phases:
 * parse (done by the caller); prepare every op against the module's model
 * of the layout (all validation happens here, a failing op undoes the ones
 * before it) and plan the KVM steps and the IOMMU changes (txn-dma.c);
 * then commit: the IOMMU mappings that appear or change, the vCPU hold if
 * any, the KVM steps, journalled so that a failure at step k undoes steps
 * k-1..1 exactly; finally finish: unmap what went, free removed ranges,
 * bump the generation. Scratch state of a commit lives in its ops
 * (struct ms_txn_op), never on the ranges beyond a pointer to the op.
 *
 * Order of the KVM steps: slots of removed ranges are deleted first, then
 * flags change, then slots of added ranges are created, so an addition can
 * reuse the addresses (and slot ids) of a removal in the same transaction.
 * Ranges that the transaction does not name are never touched.
 */
#include <linux/kvm.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <net/genetlink.h>

#include "dirty.h"
#include "dma.h"
#include "kvm.h"
#include "pin.h"
#include "netlink-gen.h"
#include "trace.h"
#include "txn.h"

/* debugfs fail_step: fail the commit's k-th step (once); 0: off. */
u32 ms_fail_step;

/* Report op @i's error, pointing at @attr (or the whole op). */
void ms_txn_op_err(struct ms_txn *t, u32 i, const struct nlattr *attr,
		   const char *fmt, ...)
{
	char msg[70]; /* with "op N: ", under the 80 bytes of an extack */
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (t->staged) /* a copy: an offset would point outside the message */
		NL_SET_ERR_MSG_FMT(t->extack, "op %u: %s", i, msg);
	else
		NL_SET_ERR_MSG_ATTR_FMT(t->extack, attr ?: t->ops[i].nest,
					"op %u: %s", i, msg);
}

/* Parse @n op nests (already checked against the op policy). */
static int ms_txn_parse(struct ms_txn *t, struct nlattr *const *ops, u32 n)
{
	struct netlink_ext_ack *extack = t->staged ? NULL : t->extack;
	int err;

	t->ops = kvcalloc(n, sizeof(*t->ops), GFP_KERNEL_ACCOUNT);
	if (!t->ops)
		return -ENOMEM;
	for (; t->n_ops < n; t->n_ops++) {
		struct ms_txn_op *op = &t->ops[t->n_ops];

		op->nest = ops[t->n_ops];
		err = nla_parse_nested(op->tb, MEMSLOT_A_OP_MAX, op->nest,
				       memslot_op_nl_policy, extack);
		if (err)
			return err;
		if (!op->tb[MEMSLOT_A_OP_TYPE]) {
			ms_txn_op_err(t, t->n_ops, NULL, "missing op type (MEMSLOT_A_OP_TYPE)");
			return -EINVAL;
		}
		op->type = nla_get_u32(op->tb[MEMSLOT_A_OP_TYPE]);
	}
	return 0;
}

/* The MEMSLOT_A_TXN_OP nests of a message, in order, in a new array. */
static int ms_msg_ops(struct genl_info *info, struct nlattr ***opsp, u32 *np)
{
	struct nlattr *attr, **ops;
	u32 n = 0;
	int rem;

	nlmsg_for_each_attr(attr, info->nlhdr, GENL_HDRLEN, rem)
		n += nla_type(attr) == MEMSLOT_A_TXN_OP;
	ops = kvcalloc(n ?: 1, sizeof(*ops), GFP_KERNEL_ACCOUNT);
	if (!ops)
		return -ENOMEM;
	n = 0;
	nlmsg_for_each_attr(attr, info->nlhdr, GENL_HDRLEN, rem)
		if (nla_type(attr) == MEMSLOT_A_TXN_OP)
			ops[n++] = attr;
	*opsp = ops;
	*np = n;
	return 0;
}

int ms_txn_parse_msg(struct ms_txn *t, struct genl_info *info)
{
	struct nlattr **ops;
	u32 n;
	int err;

	err = ms_msg_ops(info, &ops, &n);
	if (err)
		return err;
	if (!n || n > MEMSLOT_TXN_MAX_OPS) {
		NL_SET_ERR_MSG_FMT(t->extack,
				   "a transaction has 1 to %u ops (MEMSLOT_A_TXN_OP), not %u",
				   MEMSLOT_TXN_MAX_OPS, n);
		err = -EINVAL;
	} else {
		err = ms_txn_parse(t, ops, n);
	}
	kvfree(ops);
	return err;
}

int ms_txn_parse_staged(struct ms_txn *t, struct ms_staged *staged)
{
	t->staged = true;
	if (!staged->n) {
		NL_SET_ERR_MSG(t->extack, "the staged transaction has no ops");
		return -EINVAL;
	}
	return ms_txn_parse(t, staged->ops, staged->n);
}

int ms_staged_open(struct ms_space *space)
{
	lockdep_assert_held(&space->lock);
	if (space->staged)
		return -EBUSY;
	space->staged = kzalloc(sizeof(*space->staged), GFP_KERNEL_ACCOUNT);
	return space->staged ? 0 : -ENOMEM;
}

/* Make room for @more ops in @st. */
static int ms_staged_grow(struct ms_staged *st, u32 more)
{
	u32 cap = max(2 * st->cap, st->n + more);
	struct nlattr **ops;

	if (st->n + more <= st->cap)
		return 0;
	ops = kvmalloc_array(cap, sizeof(*ops), GFP_KERNEL_ACCOUNT);
	if (!ops)
		return -ENOMEM;
	if (st->n)
		memcpy(ops, st->ops, st->n * sizeof(*ops));
	kvfree(st->ops);
	st->ops = ops;
	st->cap = cap;
	return 0;
}

/*
 * Copy the ops of a txn-append message to the space's staged transaction:
 * all of them, or (on failure) none; *@total: ops staged now. -ENOENT if
 * none is open, -E2BIG past MEMSLOT_TXN_MAX_STAGED.
 */
int ms_staged_append(struct ms_space *space, struct genl_info *info,
		     u32 *total)
{
	struct ms_staged *st = space->staged;
	u32 n, i, start;
	struct nlattr **ops;
	int err;

	lockdep_assert_held(&space->lock);
	if (!st)
		return -ENOENT;
	start = st->n;
	err = ms_msg_ops(info, &ops, &n);
	if (err)
		return err;
	err = n > MEMSLOT_TXN_MAX_STAGED - st->n ? -E2BIG : ms_staged_grow(st, n);
	for (i = 0; !err && i < n; i++) {
		st->ops[st->n] = kmemdup(ops[i], ops[i]->nla_len,
					 GFP_KERNEL_ACCOUNT);
		if (st->ops[st->n])
			st->n++;
		else
			err = -ENOMEM;
	}
	while (err && st->n > start)
		kfree(st->ops[--st->n]);
	kvfree(ops);
	*total = st->n;
	return err;
}

/* Detach the space's staged transaction (or NULL): its commit ends it. */
struct ms_staged *ms_staged_take(struct ms_space *space)
{
	struct ms_staged *st = space->staged;

	lockdep_assert_held(&space->lock);
	space->staged = NULL;
	return st;
}

void ms_staged_free(struct ms_staged *st)
{
	u32 i;

	if (!st)
		return;
	for (i = 0; i < st->n; i++)
		kfree(st->ops[i]);
	kvfree(st->ops);
	kfree(st);
}

static u64 op_u64(struct ms_txn_op *op, int type)
{
	return op->tb[type] ? nla_get_u64(op->tb[type]) : 0;
}

static int ms_prep_add_check(struct ms_txn *t, u32 i, struct ms_backing **bp)
{
	struct ms_txn_op *op = &t->ops[i];
	u64 gpa = op_u64(op, MEMSLOT_A_OP_GPA), size = op_u64(op, MEMSLOT_A_OP_SIZE);
	u64 off = op_u64(op, MEMSLOT_A_OP_OFFSET);
	enum ms_range_err rerr;
	struct ms_backing *b;
	u32 bid;

	if (!op->tb[MEMSLOT_A_OP_GPA] || !op->tb[MEMSLOT_A_OP_SIZE] ||
	    !op->tb[MEMSLOT_A_OP_BACKING_ID]) {
		ms_txn_op_err(t, i, NULL, "add needs gpa, size and backing-id");
		return -EINVAL;
	}
	rerr = ms_range_check(gpa, size);
	if (rerr) {
		ms_txn_op_err(t, i, op->tb[rerr == MS_RANGE_UNALIGNED_GPA ?
					   MEMSLOT_A_OP_GPA : MEMSLOT_A_OP_SIZE],
			      "range 0x%llx+0x%llx: %s", gpa, size,
			      ms_range_err_str(rerr));
		return -EINVAL;
	}
	bid = nla_get_u32(op->tb[MEMSLOT_A_OP_BACKING_ID]);
	b = ms_space_backing(t->space, bid);
	if (!b) {
		ms_txn_op_err(t, i, op->tb[MEMSLOT_A_OP_BACKING_ID], "no backing %u", bid);
		return -ENOENT;
	}
	if (off & (MS_PAGE_SIZE - 1)) {
		ms_txn_op_err(t, i, op->tb[MEMSLOT_A_OP_OFFSET],
			      "offset 0x%llx is not page aligned", off);
		return -EINVAL;
	}
	if (off > b->size || size > b->size - off) {
		ms_txn_op_err(t, i, op->tb[MEMSLOT_A_OP_OFFSET],
			      "0x%llx+0x%llx is beyond backing %u (0x%llx bytes)",
			      off, size, bid, b->size);
		return -ERANGE;
	}
	*bp = b;
	return 0;
}

u32 ms_txn_op_index(const struct ms_txn *t, const struct ms_txn_op *op)
{
	return op - t->ops;
}

static void ms_clash_msg(struct ms_txn *t, u32 i, struct ms_mrange *mr,
			 struct ms_mrange *c)
{
	struct nlattr *attr = t->ops[i].tb[MEMSLOT_A_OP_GPA];

	if (c->txn_op)	/* in the layout and in the transaction: added */
		ms_txn_op_err(t, i, attr,
			      "0x%llx+0x%llx overlaps op %u's range (0x%llx+0x%llx)",
			      mr->r.gpa, mr->r.size, ms_txn_op_index(t, c->txn_op),
			      c->r.gpa, c->r.size);
	else
		ms_txn_op_err(t, i, attr,
			      "range 0x%llx+0x%llx overlaps range %u (0x%llx+0x%llx)",
			      mr->r.gpa, mr->r.size, c->id, c->r.gpa, c->r.size);
}

/* Can the range of op @i be mapped for DMA? Sets the extack if not. */
static int ms_prep_dma_check(struct ms_txn *t, u32 i, struct ms_mrange *mr)
{
	struct ms_space *sp = t->space;
	u64 rs = 0, rl = 0;
	int err;

	err = ms_dma_check(sp, mr->r.gpa, mr->r.size, sp->nr_dma, &rs, &rl);
	if (err == -ENOTCONN)
		ms_txn_op_err(t, i, t->ops[i].tb[MEMSLOT_A_OP_FLAGS],
			      "dma: no VFIO container is bound to space %u", sp->id);
	else if (err == -EDQUOT)
		ms_txn_op_err(t, i, NULL, "dma: %u DMA ranges (memslot.dma_entry_limit)",
			      sp->nr_dma);
	else if (err == -EADDRNOTAVAIL)
		ms_txn_op_err(t, i, NULL, "dma: IOVA 0x%llx+0x%llx is reserved (0x%llx+0x%llx)",
			      mr->r.gpa, mr->r.size, rs, rl);
	else if (err)
		ms_txn_op_err(t, i, NULL, "dma: IOVA 0x%llx+0x%llx is outside 0x%llx+0x%llx",
			      mr->r.gpa, mr->r.size, rs, rl);
	return err;
}

/* Pin the pages of the range of op @i, becoming DMA, within the limit. */
static int ms_prep_pin(struct ms_txn *t, u32 i, struct ms_mrange *mr)
{
	struct ms_space *sp = t->space;
	u64 need, excess;
	int err;

	err = ms_prep_dma_check(t, i, mr);
	if (err)
		return err;
	need = ms_pins_needed(mr->backing, mr->offset, mr->r.size);
	excess = ms_pin_excess(sp, need);
	if (excess) {
		ms_txn_op_err(t, i, NULL,
			      "pinning %llu pages exceeds RLIMIT_MEMLOCK by %llu pages",
			      need, excess);
		return -ENOMEM;
	}
	err = ms_pin(sp, mr->backing, mr->offset, mr->r.size);
	if (err == -ESTALE)
		ms_txn_op_err(t, i, NULL,
			      "backing %u was remapped under pinned pages at 0x%llx+0x%llx",
			      mr->backing->id, mr->offset, mr->r.size);
	else if (err)
		ms_txn_op_err(t, i, NULL, "cannot pin 0x%llx+0x%llx of backing %u: %d",
			      mr->offset, mr->r.size, mr->backing->id, err);
	if (err)
		return err;
	t->ops[i].pinned = true;
	sp->nr_dma++;
	return 0;
}

/* The new range of add op @i, in the layout and the id index. */
static int ms_prep_add_range(struct ms_txn *t, u32 i, struct ms_mrange *mr)
{
	struct ms_space *sp = t->space;
	struct ms_range *clash;
	int err;

	err = ms_range_take_slots(sp, mr);
	if (WARN_ON_ONCE(err)) /* the caller checked the budget */
		return err;
	clash = ms_layout_insert(&sp->layout, &mr->r);
	if (clash) {
		ms_clash_msg(t, i, mr, container_of(clash, struct ms_mrange, r));
		err = -EEXIST;
		goto err_give_slots;
	}
	err = xa_alloc_cyclic(&sp->ranges, &mr->id, mr, xa_limit_31b,
			      &sp->next_range_id, GFP_KERNEL_ACCOUNT);
	if (err < 0)
		goto err_unlink;
	return 0;

err_unlink:
	ms_layout_remove(&sp->layout, &mr->r);
err_give_slots:
	ms_range_give_slots(sp, mr);
	return err;
}

static int ms_prep_add(struct ms_txn *t, u32 i)
{
	struct ms_space *sp = t->space;
	struct ms_txn_op *op = &t->ops[i];
	u32 flags = op->tb[MEMSLOT_A_OP_FLAGS] ?
		    nla_get_u32(op->tb[MEMSLOT_A_OP_FLAGS]) : 0;
	struct ms_backing *b;
	struct ms_mrange *mr;
	u64 nr_slots;
	int err;

	err = ms_prep_add_check(t, i, &b);
	if (err)
		return err;
	nr_slots = ms_range_nr_slots(sp, op_u64(op, MEMSLOT_A_OP_SIZE));
	if (nr_slots > sp->vm.slot_count - sp->vm.nr_used) {
		ms_txn_op_err(t, i, op->tb[MEMSLOT_A_OP_SIZE],
			      "slot budget: needs %llu slot(s), %u of %u free",
			      nr_slots, sp->vm.slot_count - sp->vm.nr_used,
			      sp->vm.slot_count);
		return -ENOSPC;
	}
	/* dma is set once the pages are pinned: the range's invariant */
	mr = ms_range_alloc(sp, op_u64(op, MEMSLOT_A_OP_GPA),
			    op_u64(op, MEMSLOT_A_OP_SIZE), b,
			    op_u64(op, MEMSLOT_A_OP_OFFSET),
			    flags & ~MEMSLOT_RANGE_FLAGS_DMA);
	if (!mr)
		return -ENOMEM;
	err = ms_prep_add_range(t, i, mr);
	if (err)
		goto err_destroy;
	mr->txn_op = op;
	op->mr = mr;
	op->new_flags = flags;
	err = flags & MEMSLOT_RANGE_FLAGS_DMA ? ms_prep_pin(t, i, mr) : 0;
	if (err)
		goto err_unlink;
	mr->flags = flags;
	return 0;

err_unlink:
	ms_layout_remove(&sp->layout, &mr->r);
	ms_range_give_slots(sp, mr);
err_destroy:
	ms_range_destroy(sp, mr);
	return err;
}

/* The live range an op names; a range already in the transaction is not. */
static struct ms_mrange *ms_prep_target(struct ms_txn *t, u32 i)
{
	static const char * const verb[] = {
		[MEMSLOT_OP_TYPE_ADD] = "added",
		[MEMSLOT_OP_TYPE_REMOVE] = "removed",
		[MEMSLOT_OP_TYPE_SET_FLAGS] = "changed",
	};
	struct nlattr *attr = t->ops[i].tb[MEMSLOT_A_OP_RANGE_ID];
	struct ms_mrange *mr;
	u32 id;

	if (!attr) {
		ms_txn_op_err(t, i, NULL, "missing range-id (MEMSLOT_A_OP_RANGE_ID)");
		return ERR_PTR(-EINVAL);
	}
	id = nla_get_u32(attr);
	mr = ms_space_range(t->space, id);
	if (!mr) {
		ms_txn_op_err(t, i, attr, "no range %u", id);
		return ERR_PTR(-ENOENT);
	}
	if (mr->txn_op) {
		ms_txn_op_err(t, i, attr, "range %u is already %s by op %u", id,
			      verb[mr->txn_op->type],
			      ms_txn_op_index(t, mr->txn_op));
		return ERR_PTR(-EINVAL);
	}
	return mr;
}

static int ms_prep_remove(struct ms_txn *t, u32 i)
{
	struct ms_mrange *mr = ms_prep_target(t, i);

	if (IS_ERR(mr))
		return PTR_ERR(mr);
	ms_layout_remove(&t->space->layout, &mr->r);
	ms_range_give_slots(t->space, mr);
	mr->txn_op = &t->ops[i];
	t->ops[i].mr = mr;
	return 0;
}

static int ms_prep_set_flags(struct ms_txn *t, u32 i)
{
	struct ms_txn_op *op = &t->ops[i];
	struct nlattr *attr = op->tb[MEMSLOT_A_OP_FLAGS];
	struct ms_mrange *mr;
	int err;

	if (!attr) {
		ms_txn_op_err(t, i, NULL, "set-flags needs flags (MEMSLOT_A_OP_FLAGS)");
		return -EINVAL;
	}
	mr = ms_prep_target(t, i);
	if (IS_ERR(mr))
		return PTR_ERR(mr);
	op->new_flags = nla_get_u32(attr);
	if (op->new_flags == mr->flags) {
		ms_txn_op_err(t, i, attr, "range %u already has flags 0x%x",
			      mr->id, mr->flags);
		return -EINVAL;
	}
	if (op->new_flags & ~mr->flags & MEMSLOT_RANGE_FLAGS_DMA) {
		err = ms_prep_pin(t, i, mr);
		if (err)
			return err;
	}
	mr->txn_op = op;
	op->mr = mr;
	return 0;
}

/* Undo the model changes of ops [0, n_prepared), newest first. */
static void ms_txn_unprepare(struct ms_txn *t)
{
	struct ms_space *sp = t->space;

	while (t->n_prepared) {
		struct ms_txn_op *op = &t->ops[--t->n_prepared];
		struct ms_mrange *mr = op->mr;

		mr->txn_op = NULL;
		switch (op->type) {
		case MEMSLOT_OP_TYPE_ADD:
			ms_layout_remove(&sp->layout, &mr->r);
			ms_range_give_slots(sp, mr);
			ms_range_destroy(sp, mr);
			break;
		case MEMSLOT_OP_TYPE_REMOVE:
			ms_range_retake_slots(sp, mr);
			WARN_ON_ONCE(ms_layout_insert(&sp->layout, &mr->r));
			break;
		default:
			if (op->pinned)
				ms_range_unpin(sp, mr);
			break;
		}
	}
}

/*
 * Does the transaction replace memory in place, so that a vCPU could hit
 * the hole between a slot's deletion and its successor's creation? It does
 * if an added range overlaps a removed one or a range toggles read-only
 * (KVM deletes and re-creates the slot). Sets *@op to the first op that
 * does. Removed ranges are out of the layout while prepared, so their
 * nodes are free: index them in a scratch layout, then take them out.
 */
static bool ms_txn_replaces(struct ms_txn *t, u32 *op)
{
	struct ms_layout gone;
	struct ms_txn_op *o;
	bool found = false;
	u32 i;

	ms_layout_init(&gone);
	for (i = 0; i < t->n_ops; i++)
		if (t->ops[i].type == MEMSLOT_OP_TYPE_REMOVE)
			WARN_ON_ONCE(ms_layout_insert(&gone, &t->ops[i].mr->r));
	for (i = 0; i < t->n_ops && !found; i++) {
		o = &t->ops[i];
		if (o->type == MEMSLOT_OP_TYPE_SET_FLAGS)
			found = (o->mr->flags ^ o->new_flags) &
				MEMSLOT_RANGE_FLAGS_READONLY;
		else if (o->type == MEMSLOT_OP_TYPE_ADD && gone.nr_ranges)
			found = ms_layout_first_overlap(&gone, o->mr->r.gpa,
							o->mr->r.size);
		*op = i;
	}
	for (i = 0; i < t->n_ops; i++)
		if (t->ops[i].type == MEMSLOT_OP_TYPE_REMOVE)
			ms_layout_remove(&gone, &t->ops[i].mr->r);
	return found;
}

/* Decide on the vCPU hold; hold never is refused if memory is replaced. */
static int ms_txn_check_hold(struct ms_txn *t)
{
	u32 op;

	t->replaces = ms_txn_replaces(t, &op);
	if (t->replaces && t->hold_mode == MEMSLOT_HOLD_MODE_NEVER) {
		NL_SET_ERR_MSG_ATTR_FMT(t->extack, t->hold_attr,
					"op %u: replaces memory in place, vCPUs would see a hole without a hold",
					op);
		return -EINVAL;
	}
	return 0;
}

/*
 * Step @t's next KVM call: slot @slot of op @op's range from @old to @new
 * (NULL: no slot). One that deletes a dirty-logged slot, or turns its
 * logging off, drops KVM's log: it is harvested first (dirty.c).
 */
static void ms_add_step(struct ms_txn *t, u32 op, u32 slot,
			const struct ms_slot_state *old,
			const struct ms_slot_state *new)
{
	struct ms_step *s = &t->steps[t->n_steps++];
	static const struct ms_slot_state none;

	s->op = op;
	s->slot = slot;
	s->idx = t->ops[op].mr->slots[slot];
	s->old = old ? *old : none;
	s->new = new ? *new : none;
	s->harvest = s->old.kvm_flags & KVM_MEM_LOG_DIRTY_PAGES &&
		     !(s->new.kvm_flags & KVM_MEM_LOG_DIRTY_PAGES);
	if (s->harvest) {
		t->n_harvest++;
		t->harvest_pages = max(t->harvest_pages,
				       s->old.size >> PAGE_SHIFT);
	}
}

/* The KVM steps of slot @s of a set-flags op @i. */
static void ms_change_steps(struct ms_txn *t, u32 i, u32 s)
{
	struct ms_txn_op *op = &t->ops[i];
	struct ms_slot_state old, new;

	ms_range_slot_state(t->space, op->mr, s, op->mr->flags, &old);
	ms_range_slot_state(t->space, op->mr, s, op->new_flags, &new);
	if (old.kvm_flags == new.kvm_flags)
		return; /* a change of dma only */
	/* KVM changes dirty logging in place, not read-only */
	if ((old.kvm_flags ^ new.kvm_flags) & KVM_MEM_READONLY) {
		ms_add_step(t, i, s, &old, NULL);
		ms_add_step(t, i, s, NULL, &new);
	} else {
		ms_add_step(t, i, s, &old, &new);
	}
}

/* Op @i's KVM steps, one or two per slot of its range. */
static void ms_op_steps(struct ms_txn *t, u32 i)
{
	struct ms_txn_op *op = &t->ops[i];
	struct ms_slot_state st;
	u32 s;

	for (s = 0; s < op->mr->nr_slots; s++) {
		ms_range_slot_state(t->space, op->mr, s, op->mr->flags, &st);
		if (op->type == MEMSLOT_OP_TYPE_REMOVE)
			ms_add_step(t, i, s, &st, NULL);
		else if (op->type == MEMSLOT_OP_TYPE_ADD)
			ms_add_step(t, i, s, NULL, &st);
		else
			ms_change_steps(t, i, s);
	}
}

/* The KVM steps: removals, then flag changes, then additions. */
static int ms_txn_plan_steps(struct ms_txn *t)
{
	static const u32 order[] = {
		MEMSLOT_OP_TYPE_REMOVE, MEMSLOT_OP_TYPE_SET_FLAGS,
		MEMSLOT_OP_TYPE_ADD,
	};
	u32 i, p, max = 0;

	for (i = 0; i < t->n_ops; i++)
		max += 2 * t->ops[i].mr->nr_slots;
	t->steps = kvmalloc_array(max, sizeof(*t->steps), GFP_KERNEL_ACCOUNT);
	if (!t->steps)
		return -ENOMEM;
	for (p = 0; p < ARRAY_SIZE(order); p++)
		for (i = 0; i < t->n_ops; i++)
			if (t->ops[i].type == order[p])
				ms_op_steps(t, i);
	return 0;
}

/*
 * The backings' bits for the logs the steps drop, reserved in prepare so
 * that the harvest under the vCPU hold allocates nothing and cannot lose
 * what it reads for want of memory.
 */
static int ms_txn_reserve_harvest(struct ms_txn *t)
{
	struct ms_step *s;
	int err = 0;
	u32 k;

	for (k = 0; k < t->n_steps && !err; k++) {
		s = &t->steps[k];
		if (s->harvest)
			err = ms_dirty_reserve_slot(t->space, t->ops[s->op].mr,
						    s->slot);
	}
	return err;
}

static int ms_txn_prepare_op(struct ms_txn *t, u32 i)
{
	switch (t->ops[i].type) {
	case MEMSLOT_OP_TYPE_ADD:
		return ms_prep_add(t, i);
	case MEMSLOT_OP_TYPE_REMOVE:
		return ms_prep_remove(t, i);
	default:
		return ms_prep_set_flags(t, i);
	}
}

/* Validate and apply every op to the model, then plan KVM and IOMMU. */
static int ms_txn_prepare(struct ms_txn *t)
{
	int err;

	lockdep_assert_held(&t->space->lock);
	t->pins_taken = t->space->stats.pins_taken;
	t->pins_dropped = t->space->stats.pins_dropped;
	if (!t->space->vm.kvm) {
		NL_SET_ERR_MSG_FMT(t->extack, "space %u is not bound to a VM",
				   t->space->id);
		return -ENOTCONN;
	}
	for (; t->n_prepared < t->n_ops; t->n_prepared++) {
		err = ms_txn_prepare_op(t, t->n_prepared);
		if (err)
			goto err_unprepare;
	}
	err = ms_txn_check_hold(t) ?: ms_txn_plan_steps(t) ?:
	      ms_txn_reserve_harvest(t) ?: ms_txn_dma_plan(t);
	if (err)
		goto err_unprepare;
	return 0;

err_unprepare:
	ms_txn_unprepare(t);
	return err;
}

/* debugfs fail_step: fail the k-th step (IOMMU maps, then KVM steps). */
int ms_txn_fail_point(struct ms_txn *t)
{
	u32 fail = READ_ONCE(ms_fail_step);

	if (fail && fail == ++t->points) {
		WRITE_ONCE(ms_fail_step, 0);
		return -ENOMEM;
	}
	return 0;
}

static int ms_run_step(struct ms_txn *t, u32 k)
{
	return ms_txn_fail_point(t) ?:
	       ms_kvm_set_slot(t->space, t->steps[k].idx, &t->steps[k].new);
}

/*
 * Put back the slot of step @k. KVM refuses only if the VMM changed the
 * module's slots behind its back or memory ran out: counted and logged,
 * and the VM is left as KVM has it.
 */
static void ms_txn_undo_step(struct ms_txn *t, u32 k)
{
	int err = ms_kvm_set_slot(t->space, t->steps[k].idx, &t->steps[k].old);

	if (!err)
		return;
	t->space->stats.failed++;
	pr_err_ratelimited("memslot: space %u: rollback of slot %u failed: %d\n",
			   t->space->id, t->space->vm.slot_base + t->steps[k].idx,
			   err);
}

/*
 * Before the KVM steps: move the dirty logs the steps drop into the backings' bits, with the
 * scratch @sc allocated before the hold.
 */
static int ms_txn_harvest(struct ms_txn *t, struct ms_dirty_scratch *sc)
{
	struct ms_step *s;
	int err = 0;
	u32 k;

	for (k = 0; k < t->n_steps && !err; k++) {
		s = &t->steps[k];
		if (!s->harvest)
			continue;
		err = ms_dirty_harvest(t->space, t->ops[s->op].mr, s->slot, sc);
		if (err)
			ms_txn_op_err(t, s->op, NULL,
				      "cannot read the dirty log of slot %u: %d",
				      t->space->vm.slot_base + s->idx, err);
	}
	return err;
}

/*
 * Run the steps, the hold policy deciding between ops (hold.c); on
 * failure undo those taken.
 */
static int ms_txn_run_steps(struct ms_txn *t)
{
	struct ms_step *s;
	int err = 0;
	u64 start;
	u32 k;

	for (k = 0; k < t->n_steps; k++) {
		if (k && t->steps[k].op != t->steps[k - 1].op) {
			err = ms_hold_boundary(t, k);
			if (err) {
				ms_txn_op_err(t, t->steps[k].op, NULL,
					      "cannot hold the vCPUs: %d", err);
				goto err_undo;
			}
		}
		start = ktime_get_ns();
		err = ms_run_step(t, k);
		if (err)
			break;
		ms_hold_step_done(t, k, ktime_get_ns() - start);
	}
	if (!err)
		return 0;
	s = &t->steps[k];
	ms_txn_op_err(t, s->op, NULL, "KVM error %d on slot %u (0x%llx+0x%llx)",
		      err, t->space->vm.slot_base + s->idx,
		      s->new.size ? s->new.gpa : s->old.gpa,
		      s->new.size ?: s->old.size);
err_undo:
	while (k--)
		ms_txn_undo_step(t, k);
	return err;
}

static void ms_dma_counts_add(struct ms_dma_counts *to,
			      const struct ms_dma_counts *c)
{
	to->map_calls += c->map_calls;
	to->map_pages += c->map_pages;
	to->unmap_calls += c->unmap_calls;
	to->unmap_pages += c->unmap_pages;
	to->kept_pages += c->kept_pages;
	to->hole_pages += c->hole_pages;
}

/* Add a commit to the space's statistics and the trace. */
static void ms_txn_account(struct ms_txn *t, int err)
{
	struct ms_stats *st = &t->space->stats;
	const struct ms_txn_hold *h = &t->hold;

	if (err) {
		st->failed++;
	} else {
		st->commits++;
		st->ops += t->n_ops;
	}
	st->commit_ns_last = t->commit_ns;
	st->commit_ns_max = max(st->commit_ns_max, t->commit_ns);
	st->commit_ns_total += t->commit_ns;
	if (h->batches) {
		st->holds++;
		st->holds_speed += h->speed;
		st->hold_batches += h->batches;
		st->hold_ns_last = t->hold_ns;
		st->hold_ns_max = max(st->hold_ns_max, h->ns_max);
		st->hold_ns_total += t->hold_ns;
	}
	st->unheld_budget += h->reason == MEMSLOT_HOLD_REASON_BUDGET;
	trace_memslot_commit(t->space->id, t->space->generation + !err,
			     t->n_ops, t->n_steps, t->held_vcpus, t->hold_ns,
			     t->commit_ns, h->reason, h->batches, err);
}

/*
 * Apply the prepared transaction: the IOMMU mappings that appear or
 * change, then the KVM steps, holding the vCPUs out of guest mode as the
 * hold policy decides (hold.c). On failure, undo the steps taken, the
 * mappings and the preparation: all is as before.
 */
static int ms_txn_commit(struct ms_txn *t)
{
	struct ms_dirty_scratch sc = { };
	u64 start;
	int err;

	start = ktime_get_ns();
	err = ms_txn_dma_apply(t);
	if (err)
		goto out;
	/* KVM's requests and harvested logs go through the owner's memory */
	err = ms_dirty_scratch_get(t->space, &sc, t->harvest_pages);
	if (err)
		goto err_put_scratch;
	err = ms_hold_begin(t);
	if (err)
		goto err_put_scratch;
	err = ms_txn_harvest(t, &sc) ?: ms_txn_run_steps(t);
	ms_hold_end(t, err);
	ms_dirty_scratch_put(&sc);
	t->commit_ns = ktime_get_ns() - start;
	ms_txn_account(t, err);
	if (!err)
		return 0;
	goto err_dma_undo;
err_put_scratch:
	ms_dirty_scratch_put(&sc);
err_dma_undo:
	ms_txn_dma_undo(t);
out:
	ms_dma_counts_add(&t->space->stats.dma, &t->dma.cnt);
	return err;
}

/* After a successful commit: unmap what went, make the model final. */
static void ms_txn_finish(struct ms_txn *t)
{
	struct ms_space *sp = t->space;
	u32 i;

	ms_txn_dma_finish(t);
	ms_dma_counts_add(&sp->stats.dma, &t->dma.cnt);
	for (i = 0; i < t->n_ops; i++) {
		struct ms_txn_op *op = &t->ops[i];
		struct ms_mrange *mr = op->mr;

		mr->txn_op = NULL;
		if (op->type == MEMSLOT_OP_TYPE_REMOVE) {
			ms_range_destroy(sp, mr);
			continue;
		}
		if (mr->flags & ~op->new_flags & MEMSLOT_RANGE_FLAGS_DMA)
			ms_range_unpin(sp, mr); /* loses dma */
		mr->flags = op->new_flags;
	}
	t->n_prepared = 0;
	sp->generation++;
	sp->stats.last_pins_taken = sp->stats.pins_taken - t->pins_taken;
	sp->stats.last_pins_dropped = sp->stats.pins_dropped - t->pins_dropped;
}

/*
 * Run a parsed transaction under the space's lock: prepare, the caller's
 * @hooks->prepared (an error aborts), commit, finish, @hooks->committed.
 * 0, or an error with everything as before.
 */
int ms_txn_execute(struct ms_txn *t, const struct ms_txn_hooks *hooks,
		   void *arg)
{
	int err;

	lockdep_assert_held(&t->space->lock);
	err = ms_txn_prepare(t);
	if (err)
		return err;
	err = hooks->prepared(t, arg) ?: ms_txn_commit(t);
	if (err) {
		ms_txn_unprepare(t);
		return err;
	}
	ms_txn_finish(t);
	hooks->committed(t, arg);
	return 0;
}

void ms_txn_free(struct ms_txn *t)
{
	kvfree(t->dma.segs);
	kvfree(t->steps);
	kvfree(t->ops);
	ms_staged_free(t->staged_ops);
}
