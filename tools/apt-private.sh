# SPDX-License-Identifier: GPL-2.0
# Sourced: a private apt configuration in DIR for Debian SUITE (and, for a
# backports suite, its base suite): the machine's own sources, lists and
# cache stay untouched. Defines aptq, apt-get with that configuration.
#
#   . tools/apt-private.sh; apt_private DIR SUITE [deb|deb-src]
apt_private() {
	_apt=$1
	_suite=$2
	_kind=${3:-deb}
	_key=/usr/share/keyrings/debian-archive-keyring.gpg
	mkdir -p "$_apt/lists/partial" "$_apt/cache/archives/partial"
	{
		echo "$_kind [signed-by=$_key] http://deb.debian.org/debian $_suite main"
		[ "$_suite" = "${_suite%-backports}" ] ||
			echo "$_kind [signed-by=$_key] http://deb.debian.org/debian ${_suite%-backports} main"
	} >"$_apt/sources.list"
	aptq update >/dev/null
}

aptq() {
	apt-get -q -o Dir::Etc::sourcelist="$_apt/sources.list" \
		-o Dir::Etc::sourceparts=- -o Dir::State::Lists="$_apt/lists" \
		-o Dir::Cache="$_apt/cache" -o Debug::NoLocking=1 \
		-o APT::Sandbox::User="$(id -un)" "$@"
}
