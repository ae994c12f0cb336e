import sys, re, statistics, collections
# usage: summ.py label=file1,file2,... label2=...
data = collections.OrderedDict()
for arg in sys.argv[1:]:
    label, files = arg.split('=')
    for fn in files.split(','):
        for line in open(fn):
            m = re.match(r'\| (\w+) \| (\d+) \| ([\d.]+) \|', line)
            if m:
                data.setdefault((m.group(1), label, int(m.group(2))), []).append(float(m.group(3)))
labels = [a.split('=')[0] for a in sys.argv[1:]]
pols = []
for (p, l, t) in data:
    if p not in pols: pols.append(p)
hdr = '| policy |' + ''.join(f' {l} 1T | {l} 2T | {l} 2T/1T |' for l in labels)
if len(labels) == 2: hdr += ' after/before 1T | after/before 2T |'
print(hdr); print('|---|' + '---:|' * (hdr.count('|') - 2))
for p in pols:
    row = f'| {p} |'; med = {}
    for l in labels:
        a = statistics.median(data.get((p, l, 1), [0])); b = statistics.median(data.get((p, l, 2), [0]))
        med[l] = (a, b)
        row += f' {a:.2f} | {b:.2f} | {b / a if a else 0:.2f} |'
    if len(labels) == 2:
        (a0, b0), (a1, b1) = med[labels[0]], med[labels[1]]
        row += f' {a1 / a0:.2f} | {b1 / b0:.2f} |'
    print(row)
