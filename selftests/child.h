/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A VMM stand-in killed in the middle of its work: @body runs in a child
 * and writes one byte to @out after each unit of work (a commit); after @n
 * of them the child gets SIGKILL and is reaped. Waits for progress, never
 * for time.
 */
#ifndef MEMSLOT_CHILD_H
#define MEMSLOT_CHILD_H

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* The child's pid (its wait status in *@status), or -errno. */
static inline pid_t child_kill_after(void (*body)(void *arg, int out),
				     void *arg, int n, int *status)
{
	int fd[2], i;
	pid_t pid;
	char c;

	if (pipe(fd))
		return -errno;
	pid = fork();
	if (pid == 0) {
		close(fd[0]);
		body(arg, fd[1]);
		_exit(1); /* the body ran dry: the parent sees no SIGKILL */
	}
	close(fd[1]);
	for (i = 0; pid > 0 && i < n; i++)
		if (read(fd[0], &c, 1) != 1)
			break;
	if (pid < 0) {
		i = -errno;
		close(fd[0]);
		return i;
	}
	kill(pid, SIGKILL); /* before the close: no SIGPIPE may beat it */
	close(fd[0]);
	if (waitpid(pid, status, 0) != pid)
		return -errno;
	return i == n ? pid : -EPIPE;
}

#endif /* MEMSLOT_CHILD_H */
