// SPDX-License-Identifier: GPL-2.0
/* The program forkexec execs: starts, exits 0. */
int main(void)
{
	return 0;
}
