// Preloaded into a benchmarked child: writes its peak RSS (KiB) where the bench asked.
import { writeFileSync } from 'node:fs';

const target = process.env.FMC_BENCH_RSS_FILE;
if (target) process.on('exit', () => writeFileSync(target, String(process.resourceUsage().maxRSS)));
