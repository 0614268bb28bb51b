/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of memslot (events/memslot in tracefs): the vCPU hold and
 * every commit, with the times the space's statistics add up.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM memslot

#if !defined(_MEMSLOT_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _MEMSLOT_TRACE_H

#include <linux/tracepoint.h>

TRACE_EVENT(memslot_hold,
	    TP_PROTO(u32 space, u32 vcpus, u32 in_user, u32 parked),
	    TP_ARGS(space, vcpus, in_user, parked),
	    TP_STRUCT__entry(__field(u32, space)
			     __field(u32, vcpus)
			     __field(u32, in_user)
			     __field(u32, parked)),
	    TP_fast_assign(__entry->space = space;
			   __entry->vcpus = vcpus;
			   __entry->in_user = in_user;
			   __entry->parked = parked;),
	    TP_printk("space=%u vcpus=%u in_user=%u parked=%u",
		      __entry->space, __entry->vcpus, __entry->in_user,
		      __entry->parked)
);

TRACE_EVENT(memslot_release,
	    TP_PROTO(u32 space, u32 vcpus, u64 hold_ns),
	    TP_ARGS(space, vcpus, hold_ns),
	    TP_STRUCT__entry(__field(u32, space)
			     __field(u32, vcpus)
			     __field(u64, hold_ns)),
	    TP_fast_assign(__entry->space = space;
			   __entry->vcpus = vcpus;
			   __entry->hold_ns = hold_ns;),
	    TP_printk("space=%u vcpus=%u hold_ns=%llu",
		      __entry->space, __entry->vcpus, __entry->hold_ns)
);

TRACE_EVENT(memslot_commit,
	    TP_PROTO(u32 space, u64 generation, u32 ops, u32 steps, u32 held,
		     u64 hold_ns, u64 commit_ns, u32 reason, u32 batches,
		     int err),
	    TP_ARGS(space, generation, ops, steps, held, hold_ns, commit_ns,
		    reason, batches, err),
	    TP_STRUCT__entry(__field(u32, space)
			     __field(u64, generation)
			     __field(u32, ops)
			     __field(u32, steps)
			     __field(u32, held)
			     __field(u64, hold_ns)
			     __field(u64, commit_ns)
			     __field(u32, reason)
			     __field(u32, batches)
			     __field(int, err)),
	    TP_fast_assign(__entry->space = space;
			   __entry->generation = generation;
			   __entry->ops = ops;
			   __entry->steps = steps;
			   __entry->held = held;
			   __entry->hold_ns = hold_ns;
			   __entry->commit_ns = commit_ns;
			   __entry->reason = reason;
			   __entry->batches = batches;
			   __entry->err = err;),
	    TP_printk("space=%u generation=%llu ops=%u steps=%u held=%u hold_ns=%llu commit_ns=%llu reason=%u batches=%u err=%d",
		      __entry->space, __entry->generation, __entry->ops,
		      __entry->steps, __entry->held, __entry->hold_ns,
		      __entry->commit_ns, __entry->reason, __entry->batches,
		      __entry->err)
);

#endif /* _MEMSLOT_TRACE_H */

/* Out of tree: define_trace.h finds this file in the module's directory. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
