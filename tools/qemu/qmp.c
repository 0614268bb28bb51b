// SPDX-License-Identifier: GPL-2.0
/*
 * qmp: send QMP commands to a QEMU monitor socket, one reply line each.
 *
 *   qmp SOCKET COMMAND...   e.g. qmp /tmp/q.sock '{"execute":"query-status"}'
 *
 * Prints each command's reply (events are skipped); exits 1 if a reply
 * is an error or the socket fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int qmp_connect(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	if (fd < 0 || strlen(path) >= sizeof(a.sun_path))
		return -1;
	strcpy(a.sun_path, path);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The next line that is not an event; NULL at the end of the stream. */
static char *qmp_reply(FILE *in, char *buf, int size)
{
	while (fgets(buf, size, in))
		if (!strstr(buf, "\"event\""))
			return buf;
	return NULL;
}

int main(int argc, char **argv)
{
	char buf[65536];
	FILE *in, *out;
	int fd, i, bad = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: qmp SOCKET COMMAND...\n");
		return 2;
	}
	fd = qmp_connect(argv[1]);
	if (fd < 0 || !(in = fdopen(fd, "r")) || !(out = fdopen(dup(fd), "w"))) {
		perror(argv[1]);
		return 1;
	}
	if (!qmp_reply(in, buf, sizeof(buf))) /* the greeting */
		return 1;
	fputs("{\"execute\":\"qmp_capabilities\"}\n", out);
	fflush(out);
	if (!qmp_reply(in, buf, sizeof(buf)))
		return 1;
	for (i = 2; i < argc; i++) {
		fprintf(out, "%s\n", argv[i]);
		fflush(out);
		if (!qmp_reply(in, buf, sizeof(buf)))
			return 1;
		fputs(buf, stdout);
		bad |= strstr(buf, "\"error\"") != NULL;
	}
	return bad;
}
