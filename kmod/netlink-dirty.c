// SPDX-License-Identifier: GPL-2.0
/*
 * dirty-get: the netlink side of a dirty-log read. The window and the
 * caller's buffer are checked here; dirty.c reads with plain values.
 */
#include <net/genetlink.h>

#include "dirty.h"
#include "netlink.h"
#include "netlink-gen.h"
#include "range.h"

/* The window: [*off, *off + *size) of *bp, from a range or a backing. */
static int ms_dirty_window(struct ms_space *space, struct genl_info *info,
			   struct ms_backing **bp, u64 *off, u64 *size)
{
	struct nlattr **tb = info->attrs;
	struct ms_mrange *mr;
	u32 id;

	if (tb[MEMSLOT_A_DIRTY_RANGE_ID]) {
		id = nla_get_u32(tb[MEMSLOT_A_DIRTY_RANGE_ID]);
		mr = ms_space_range(space, id);
		if (!mr) {
			NL_SET_ERR_MSG_ATTR_FMT(info->extack, tb[MEMSLOT_A_DIRTY_RANGE_ID],
						"no range %u in space %u", id, space->id);
			return -ENOENT;
		}
		*bp = mr->backing;
		*off = mr->offset;
		*size = mr->r.size;
		return 0;
	}
	if (GENL_REQ_ATTR_CHECK(info, MEMSLOT_A_DIRTY_BACKING_ID) ||
	    GENL_REQ_ATTR_CHECK(info, MEMSLOT_A_DIRTY_SIZE)) {
		NL_SET_ERR_MSG(info->extack,
			       "dirty-get needs range-id, or backing-id and size");
		return -EINVAL;
	}
	id = nla_get_u32(tb[MEMSLOT_A_DIRTY_BACKING_ID]);
	*bp = ms_space_backing(space, id);
	if (!*bp) {
		NL_SET_ERR_MSG_ATTR_FMT(info->extack, tb[MEMSLOT_A_DIRTY_BACKING_ID],
					"no backing %u in space %u", id, space->id);
		return -ENOENT;
	}
	*off = tb[MEMSLOT_A_DIRTY_OFFSET] ?
	       nla_get_u64(tb[MEMSLOT_A_DIRTY_OFFSET]) : 0;
	*size = nla_get_u64(tb[MEMSLOT_A_DIRTY_SIZE]);
	return 0;
}

/* Is the window inside its backing, and the buffer large enough? */
static int ms_dirty_check(struct genl_info *info, struct ms_backing *b,
			  u64 off, u64 size)
{
	struct nlattr **tb = info->attrs;
	u64 need = ms_dirty_buf_size(size);

	if (!size || (off | size) & (MS_PAGE_SIZE - 1) || off > b->size ||
	    size > b->size - off) {
		NL_SET_ERR_MSG_ATTR_FMT(info->extack,
					tb[MEMSLOT_A_DIRTY_SIZE] ?: tb[MEMSLOT_A_DIRTY_OFFSET],
					"window 0x%llx+0x%llx: not pages inside backing %u (0x%llx bytes)",
					off, size, b->id, b->size);
		return -EINVAL;
	}
	if (GENL_REQ_ATTR_CHECK(info, MEMSLOT_A_DIRTY_BUFFER) ||
	    GENL_REQ_ATTR_CHECK(info, MEMSLOT_A_DIRTY_BUFFER_SIZE)) {
		NL_SET_ERR_MSG(info->extack, "dirty-get needs buffer and buffer-size");
		return -EINVAL;
	}
	if (nla_get_u64(tb[MEMSLOT_A_DIRTY_BUFFER_SIZE]) < need) {
		NL_SET_ERR_MSG_ATTR_FMT(info->extack, tb[MEMSLOT_A_DIRTY_BUFFER_SIZE],
					"buffer-size: the bitmap of 0x%llx bytes needs %llu",
					size, need);
		return -ENOBUFS;
	}
	return 0;
}

static int ms_dirty_reply(struct genl_info *info, struct ms_space *space,
			  u32 backing, u64 off, u64 size,
			  const struct ms_dirty_result *res)
{
	struct sk_buff *msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	void *hdr;

	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &ms_family, 0, MEMSLOT_CMD_DIRTY_GET);
	if (!hdr || nla_put_u32(msg, MEMSLOT_A_DIRTY_SPACE_ID, space->id) ||
	    nla_put_u32(msg, MEMSLOT_A_DIRTY_BACKING_ID, backing) ||
	    nla_put_u64_64bit(msg, MEMSLOT_A_DIRTY_OFFSET, off, MEMSLOT_A_DIRTY_PAD) ||
	    nla_put_u64_64bit(msg, MEMSLOT_A_DIRTY_SIZE, size, MEMSLOT_A_DIRTY_PAD) ||
	    nla_put_u64_64bit(msg, MEMSLOT_A_DIRTY_DIRTY_PAGES, res->dirty_pages,
			      MEMSLOT_A_DIRTY_PAD) ||
	    nla_put_u64_64bit(msg, MEMSLOT_A_DIRTY_DMA_PAGES, res->dma_pages,
			      MEMSLOT_A_DIRTY_PAD)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/* Read one window under the space's lock; the reply after it. */
static int ms_dirty_read(struct ms_space *space, struct genl_info *info)
{
	void __user *ubuf;
	struct ms_dirty_result res;
	struct ms_backing *b;
	u64 off, size;
	u32 backing;
	int err;

	err = ms_space_lock(space, info->extack);
	if (err)
		return err;
	err = ms_dirty_window(space, info, &b, &off, &size) ?:
	      ms_dirty_check(info, b, off, size);
	if (!err) {
		backing = b->id;
		ubuf = u64_to_user_ptr(nla_get_u64(info->attrs[MEMSLOT_A_DIRTY_BUFFER]));
		err = ms_dirty_get(space, b, off, size, ubuf,
				   nla_get_flag(info->attrs[MEMSLOT_A_DIRTY_CLEAR]),
				   &res);
		if (err == -EFAULT)
			NL_SET_ERR_MSG_ATTR(info->extack,
					    info->attrs[MEMSLOT_A_DIRTY_BUFFER],
					    "buffer: not writable memory of the caller");
		else if (err)
			NL_SET_ERR_MSG_FMT(info->extack,
					   "cannot read KVM's dirty logs: %d", err);
	}
	mutex_unlock(&space->lock);
	return err ?: ms_dirty_reply(info, space, backing, off, size, &res);
}

int memslot_nl_dirty_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct ms_space *space;
	int err;

	space = ms_find_space(skb, info->attrs[MEMSLOT_A_DIRTY_SPACE_ID],
			      MEMSLOT_A_DIRTY_SPACE_ID, false, info->extack);
	if (IS_ERR(space))
		return PTR_ERR(space);
	err = ms_dirty_read(space, info);
	ms_space_put(space);
	return err;
}
