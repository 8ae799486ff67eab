package mappings

import (
	"fmt"
	"slices"
)

// valueSet is a value set (or code system) merged from every file that
// defines it.
type valueSet struct {
	name    string
	files   []string
	display map[conceptKey]string
	origin  map[conceptKey]string // "file line 12", for conflict errors
	// extended lists the codes added because a concept map that declares
	// this set as its target maps to them (see link).
	extended []conceptKey
}

// conceptMap is a concept map merged from every file that defines it.
type conceptMap struct {
	name    string
	files   []string
	targets map[conceptKey][]conceptKey // source → distinct targets, in file order
	origin  map[conceptKey]string       // source → file that gave its targets
}

// merged is every table of the embedded and override files, combined by name.
type merged struct {
	sets  map[string]*valueSet
	maps  map[string]*conceptMap
	alias map[string]string // every accepted value set name → short name
}

// merge combines tables in order. Tables with the same short name are one
// table: a value set is the union of its files' concepts, a concept map the
// union of its files' pairs. A concept given two displays, or a map source
// given different targets by two files, is an error naming both places.
func merge(ts []*table) (*merged, error) {
	m := &merged{sets: map[string]*valueSet{}, maps: map[string]*conceptMap{}, alias: map[string]string{}}
	for _, t := range ts {
		var err error
		if t.isMap {
			err = m.addMap(t)
		} else {
			err = m.addSet(t)
		}
		if err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *merged) addSet(t *table) error {
	vs := m.sets[t.name]
	if vs == nil {
		vs = &valueSet{name: t.name, display: map[conceptKey]string{}, origin: map[conceptKey]string{}}
		m.sets[t.name] = vs
	}
	vs.files = append(vs.files, t.file)
	for _, a := range append([]string{t.name}, t.aliases...) {
		if prev, ok := m.alias[a]; ok && prev != t.name {
			return fmt.Errorf("merge %s: %s names both value set %s and %s", t.file, a, prev, t.name)
		}
		m.alias[a] = t.name
	}
	for _, c := range t.concepts {
		where := t.file + " " + c.at
		if d, ok := vs.display[c.key]; ok {
			if d != c.display {
				return fmt.Errorf("merge %s: %s %s has display %q here and %q at %s",
					where, t.name, c.key, c.display, d, vs.origin[c.key])
			}
			continue
		}
		vs.display[c.key] = c.display
		vs.origin[c.key] = where
	}
	return nil
}

func (m *merged) addMap(t *table) error {
	cm := m.maps[t.name]
	if cm == nil {
		cm = &conceptMap{name: t.name, targets: map[conceptKey][]conceptKey{}, origin: map[conceptKey]string{}}
		m.maps[t.name] = cm
	}
	cm.files = append(cm.files, t.file)
	// This file's targets for each source, then compared with earlier files.
	mine := map[conceptKey][]conceptKey{}
	var order []conceptKey
	for _, p := range t.pairs {
		if _, ok := mine[p.src]; !ok {
			order = append(order, p.src)
		}
		if !slices.Contains(mine[p.src], p.dst) {
			mine[p.src] = append(mine[p.src], p.dst)
		}
	}
	for _, src := range order {
		dsts := mine[src]
		if prev, ok := cm.targets[src]; ok {
			if !sameKeys(prev, dsts) {
				return fmt.Errorf("merge %s: %s maps %s to %v here and to %v in %s",
					t.file, t.name, src, dsts, prev, cm.origin[src])
			}
			continue
		}
		cm.targets[src] = dsts
		cm.origin[src] = t.file
	}
	return nil
}

// sameKeys reports whether a and b hold the same keys, in any order.
func sameKeys(a, b []conceptKey) bool {
	if len(a) != len(b) {
		return false
	}
	for _, k := range a {
		if !slices.Contains(b, k) {
			return false
		}
	}
	return true
}

// resolve returns the member of target that a concept map's target dst
// names, adding it to target when the map declares target as its value set
// but the loaded copy of the set lacks the code. dst is looked for
//  1. in target itself;
//  2. when dst's system is the URL of a loaded value set rather than a code
//     system (ASS_12 names JDV_J10 as its target), by code in that set;
//  3. in every other loaded value set, by system and code (ASS_A11 maps
//     template 1.2.250.1.213.1.1.1.59 to urn:ans:ci-sis:trod:2024, which the
//     JDV_J10 copy predates but JDV_J60 holds); the code is then added to
//     target with that set's display.
func (m *merged) resolve(dst conceptKey, target *valueSet) (conceptKey, error) {
	if _, ok := target.display[dst]; ok {
		return dst, nil
	}
	if name, ok := m.alias[dst.system]; ok {
		var found []conceptKey
		for k := range m.sets[name].display {
			if k.code == dst.code {
				found = append(found, k)
			}
		}
		if len(found) != 1 {
			return dst, fmt.Errorf("code %s is in %d code systems of %s, want 1", dst.code, len(found), name)
		}
		dst = found[0]
		if _, ok := target.display[dst]; ok {
			return dst, nil
		}
	}
	names := make([]string, 0, len(m.sets))
	for n := range m.sets {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if d, ok := m.sets[n].display[dst]; ok && n != target.name {
			target.display[dst] = d
			target.origin[dst] = m.sets[n].origin[dst]
			target.extended = append(target.extended, dst)
			return dst, nil
		}
	}
	return dst, fmt.Errorf("%s is in no loaded value set", dst)
}
