// Package demo generates and loads deterministic synthetic data for a
// district: member companies (会员单位) with Chinese names, addresses,
// unified social credit codes and security-service licences; their guards
// (保安员) with resident ID numbers, certificates, background checks and
// training records; and the district's council seats (理事会).
//
// Generate is a pure function of (seed, district), so a demo started twice
// with the same seed shows the same city, and Load enters a dataset through
// the membership HTTP API exactly as a client would, with Idempotency-Keys,
// so a half-finished load can simply be run again.
package demo

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/guildhall/guildhall/pkg/idcheck"
)

// Dataset is what Generate produced for one district.
type Dataset struct {
	// District is the district id the data belongs to (e.g. "jingkai").
	District string
	// Companies are the district's member companies, each with its guards.
	Companies []Company
	// CouncilMembers are the council seats (理事会) recorded in the district.
	CouncilMembers []CouncilMember

	// seed is the generator seed; Load derives Idempotency-Keys from it so
	// datasets of different seeds never share a key.
	seed int64
}

// Company is one generated member company (保安从业单位).
type Company struct {
	Name, CreditCode, LicenceNumber, Kind, Level, Status, ContactName, ContactPhone, Address string
	// PartyOrg tells whether the company has a Party organisation (党组织),
	// set up on PartyOrgSince (YYYY-MM-DD).
	PartyOrg      bool
	PartyOrgSince string
	// TradeUnion and WorkersHome tell whether it has a trade union (工会)
	// and a workers' home (职工之家).
	TradeUnion, WorkersHome bool
	// Guards are the company's employees.
	Guards []Guard
}

// Guard is one generated guard (保安员).
type Guard struct {
	Name, IDNumber, CertificateNumber, CertificateIssuedOn, HiredOn string
	// BadgeService, VolunteerPolice and PartyMember are the guard's flags:
	// serves wearing a badge (挂牌服务), is in a volunteer-police team
	// (江城义警), is a Party member.
	BadgeService, VolunteerPolice, PartyMember bool
	// BackgroundCheck is passed, pending, failed or "" (never checked);
	// BackgroundCheckOn is the date of the check when there is one.
	BackgroundCheck   string
	BackgroundCheckOn string
	// Trainings are the guard's training records (教育培训), oldest first.
	Trainings []Training
}

// Training is one generated training record.
type Training struct {
	// Type is pre_job or in_service.
	Type      string
	Hours     float64
	TrainedOn string
	Topic     string
}

// CouncilMember is one generated council seat.
type CouncilMember struct {
	Term                                   int
	Position, PersonName, DistrictInCharge string
}

// Company kinds, levels and statuses, guard check results and training types
// as the membership API spells them.
const (
	KindServiceCompany = "service_company"
	KindInHouseUnit    = "in_house_unit"

	LevelVicePresident = "vice_president"
	LevelCouncil       = "council"
	LevelMember        = "member"

	StatusApplied   = "applied"
	StatusActive    = "active"
	StatusSuspended = "suspended"

	CheckPassed  = "passed"
	CheckPending = "pending"
	CheckFailed  = "failed"

	TrainingPreJob    = "pre_job"
	TrainingInService = "in_service"
)

// CouncilTerm is the council term (第三届) the generated seats belong to.
const CouncilTerm = 3

const dateLayout = "2006-01-02"

// referenceDate is the day the generated data describes: the first working
// meeting of the 3rd council's jingkai/caidian district group. Every date is
// computed from it, never from time.Now, so output does not drift by day.
func referenceDate() time.Time { return time.Date(2025, 9, 23, 0, 0, 0, 0, time.UTC) }

// districtSlot mixes the district into every generated number sequence
// (ID sequence numbers, organisation codes, certificate numbers) so that two
// districts generated from the same seed cannot collide even by chance. The
// two districts of the seed report get fixed, distinct slots; others are
// spread by hash over the remaining ones.
func districtSlot(district string) int {
	switch district {
	case "jingkai":
		return 1
	case "caidian":
		return 2
	}
	return 3 + int(hash64(district)%7)
}

func hash64(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// Generate is a pure function of (seed, district): same inputs → byte-identical output.
// It produces 28–32 companies, 5–20 guards each, and the district's council
// seats; see the package documentation.
func Generate(seed int64, district string) Dataset {
	g := &generator{
		r:        rand.New(rand.NewPCG(uint64(seed), hash64("guildhall/demo/"+district))),
		district: district,
		slot:     districtSlot(district),
		place:    placeFor(district),
		used:     map[string]bool{},
		ref:      referenceDate(),
	}
	ds := Dataset{District: district, seed: seed}
	ds.Companies = g.companies()
	ds.CouncilMembers = g.council(ds.Companies)
	return ds
}

// generator carries the random stream and the uniqueness sets of one
// Generate call.
type generator struct {
	r        *rand.Rand
	district string
	slot     int
	place    place
	used     map[string]bool // every unique value handed out, prefixed by kind
	ref      time.Time
}

// unique draws values from next until one has not been handed out under kind.
func (g *generator) unique(kind string, next func() string) string {
	for {
		v := next()
		if k := kind + "\x00" + v; !g.used[k] {
			g.used[k] = true
			return v
		}
	}
}

func (g *generator) pick(list []string) string { return list[g.r.IntN(len(list))] }

func (g *generator) chance(p float64) bool { return g.r.Float64() < p }

// between returns a random date in [from, to] (whole days).
func (g *generator) between(from, to time.Time) time.Time {
	days := int(to.Sub(from).Hours() / 24)
	if days <= 0 {
		return from
	}
	return from.AddDate(0, 0, g.r.IntN(days+1))
}

// subset returns a random set of n distinct indices below size.
func (g *generator) subset(size, n int) map[int]bool {
	out := make(map[int]bool, n)
	for _, i := range g.r.Perm(size)[:min(n, size)] {
		out[i] = true
	}
	return out
}

// share returns how many of n get a property held by a fraction drawn
// uniformly from [lo, hi]: the rate itself varies by seed and district, as
// it would between real districts, but always stays in a realistic band.
func (g *generator) share(n int, lo, hi float64) int {
	return int(float64(n)*(lo+(hi-lo)*g.r.Float64()) + 0.5)
}

func (g *generator) companies() []Company {
	n := 28 + g.r.IntN(5)
	applied := 1 + g.r.IntN(2)
	suspended := 1 + g.r.IntN(2)
	inHouse := 3 + g.r.IntN(3)
	council := 3 + g.r.IntN(3)

	// Statuses, kinds and levels are dealt over a shuffled index order so
	// each appears a fixed, realistic number of times.
	order := g.r.Perm(n)
	status := make([]string, n)
	for k, i := range order {
		switch {
		case k < applied:
			status[i] = StatusApplied
		case k < applied+suspended:
			status[i] = StatusSuspended
		default:
			status[i] = StatusActive
		}
	}
	kind := make([]string, n)
	for i := range kind {
		kind[i] = KindServiceCompany
	}
	for i := range g.subset(n, inHouse) {
		kind[i] = KindInHouseUnit
	}
	// Leading positions go to established (active) service companies.
	level := make([]string, n)
	var eligible []int
	for i := range n {
		level[i] = LevelMember
		if status[i] == StatusActive && kind[i] == KindServiceCompany {
			eligible = append(eligible, i)
		}
	}
	g.r.Shuffle(len(eligible), func(a, b int) { eligible[a], eligible[b] = eligible[b], eligible[a] })
	// A district without a seed-report vice-president gets its district
	// lead from the head of a vice_president-level company.
	if !g.place.known && len(eligible) > 0 {
		level[eligible[0]] = LevelVicePresident
		eligible = eligible[1:]
	}
	for _, i := range eligible[:min(council, len(eligible))] {
		level[i] = LevelCouncil
	}

	party := g.subset(n, g.share(n, 0.4, 0.6))
	union := g.subset(n, g.share(n, 0.4, 0.6))
	// A workers' home (职工之家) is built by a union, so it is drawn among
	// the union companies, at ~30% of all companies.
	var unionIdx []int
	for i := range n {
		if union[i] {
			unionIdx = append(unionIdx, i)
		}
	}
	slices.Sort(unionIdx)
	home := map[int]bool{}
	for k := range g.subset(len(unionIdx), min(g.share(n, 0.25, 0.35), len(unionIdx))) {
		home[unionIdx[k]] = true
	}

	out := make([]Company, n)
	for i := range n {
		c := Company{
			Kind:        kind[i],
			Level:       level[i],
			Status:      status[i],
			PartyOrg:    party[i],
			TradeUnion:  union[i],
			WorkersHome: home[i],
		}
		c.Name = g.companyName(c.Kind)
		c.CreditCode = g.creditCode()
		c.LicenceNumber = g.licence(c.Kind)
		c.ContactName = g.unique("contact", func() string { return g.personName(!g.chance(0.2)) })
		c.ContactPhone = g.unique("phone", g.phone)
		c.Address = g.address()
		if c.PartyOrg {
			c.PartyOrgSince = g.between(time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC), g.ref.AddDate(0, -1, 0)).Format(dateLayout)
		}
		guards := 5 + g.r.IntN(16)
		if c.Kind == KindInHouseUnit {
			guards = 5 + g.r.IntN(8)
		}
		c.Guards = make([]Guard, guards)
		for j := range c.Guards {
			c.Guards[j] = g.guard()
		}
		if c.Status == StatusApplied {
			// Only an active member hires (membership refuses an
			// applicant's hire): an applicant's guards are drawn, so the
			// other companies' data stays what it was, and not entered.
			c.Guards = nil
		}
		out[i] = c
	}
	return out
}

func (g *generator) companyName(kind string) string {
	// A trade name (字号) is used once per district, as the registration
	// authority would insist within its area.
	if kind == KindInHouseUnit {
		brand := g.unique("brand", func() string { return g.pick(inHouseBrands) })
		return g.unique("company", func() string {
			return "武汉" + g.pick(g.place.nameWords) + brand + g.pick(inHouseTrades)
		})
	}
	brand := g.unique("brand", func() string { return g.pick(brandWords) })
	return g.unique("company", func() string {
		suffix := g.pick(companySuffixes)
		if g.chance(0.25) {
			return g.place.formalPrefix + brand + suffix
		}
		return "武汉" + g.pick(g.place.nameWords) + brand + suffix
	})
}

// creditCode builds a GB 32100 unified social credit code: registration
// authority 9 (market regulation), entity type 1 (enterprise), the
// district's region code, a GB 11714 organisation code and the check
// character.
func (g *generator) creditCode() string {
	return g.unique("credit", func() string {
		body := fmt.Sprintf("%d%07d", g.slot, g.r.IntN(10_000_000))
		prefix := "91" + g.pick(g.place.creditRegions) + body + string(orgCodeCheck(body))
		code, err := idcheck.MakeCreditCode(prefix)
		if err != nil {
			// Unreachable: prefix is "91", six digits and nine code characters.
			panic(fmt.Sprintf("demo: credit code %q: %v", prefix, err))
		}
		return code
	})
}

// orgCodeCheck returns the GB 11714 check character of an eight-digit
// organisation code body, so the embedded organisation code is itself
// well formed as in real credit codes.
func orgCodeCheck(body string) byte {
	weights := [8]int{3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := range 8 {
		sum += int(body[i]-'0') * weights[i]
	}
	switch c := 11 - sum%11; c {
	case 10:
		return 'X'
	case 11:
		return '0'
	default:
		return byte('0' + c)
	}
}

// licence returns a security-service licence (保安服务许可证) number
// (idcheck.MakeLicenceNumber), or for an in-house unit its filing (备案)
// number, in one of the two spellings in use.
func (g *generator) licence(kind string) string {
	return g.unique("licence", func() string {
		year := 2010 + g.r.IntN(15)
		num := g.r.IntN(10000)
		if kind != KindInHouseUnit {
			// A service company's licence, in the form membership checks.
			return idcheck.MakeLicenceNumber("鄂", year, 1+num)
		}
		// An in-house unit's filing number: free form at membership.
		if g.chance(0.7) {
			return fmt.Sprintf("鄂公保备字[%d]%04d号", year, num)
		}
		return fmt.Sprintf("鄂公保备%d%04d", year, num)
	})
}

// phone returns a mainland mobile number 1[3-9]x xxxx xxxx.
func (g *generator) phone() string {
	return g.pick(mobilePrefixes) + fmt.Sprintf("%08d", g.r.IntN(100_000_000))
}

func (g *generator) address() string {
	a := g.place.addresses[g.r.IntN(len(g.place.addresses))]
	return fmt.Sprintf("%s%s%d号", a.prefix, g.pick(a.roads), 1+g.r.IntN(399))
}

func (g *generator) personName(male bool) string {
	given := givenFemale
	if male {
		given = givenMale
	}
	name := g.pick(surnames) + g.pick(given)
	if g.chance(0.65) {
		name += g.pick(given)
	}
	return name
}

func (g *generator) guard() Guard {
	male := g.chance(0.88)
	// Guards skew older, as in the real workforce: a quarter under 35.
	var age int
	switch u := g.r.Float64(); {
	case u < 0.25:
		age = 20 + g.r.IntN(15)
	case u < 0.6:
		age = 35 + g.r.IntN(13)
	default:
		age = 48 + g.r.IntN(12)
	}
	birth := g.ref.AddDate(-age, 0, -g.r.IntN(365))
	region := g.pick(g.place.birthRegions)
	id := g.unique("id", func() string {
		// The sequence number's hundreds digit is the district slot (no two
		// districts share one); its parity is the holder's sex.
		low := 2 * g.r.IntN(50)
		if male {
			low++
		}
		return idcheck.MakeResidentID(region, birth, g.slot*100+low)
	})

	adult := birth.AddDate(18, 0, 0)
	earliest := time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC)
	if adult.After(earliest) {
		earliest = adult
	}
	hired := g.between(earliest, g.ref.AddDate(0, 0, -7))
	gd := Guard{
		Name:            g.personName(male),
		IDNumber:        id,
		HiredOn:         hired.Format(dateLayout),
		BadgeService:    g.chance(0.7),
		VolunteerPolice: g.chance(0.2),
		PartyMember:     g.chance(0.09),
	}

	switch u := g.r.Float64(); {
	case u < 0.82:
		gd.BackgroundCheck = CheckPassed
	case u < 0.90:
		gd.BackgroundCheck = CheckPending
	case u < 0.93:
		gd.BackgroundCheck = CheckFailed
	}
	switch gd.BackgroundCheck {
	case CheckPassed, CheckFailed:
		// Vetting precedes employment.
		gd.BackgroundCheckOn = hired.AddDate(0, 0, -(3 + g.r.IntN(28))).Format(dateLayout)
	case CheckPending:
		// A pending check is a recent (re-)check still under way.
		from := g.ref.AddDate(0, 0, -60)
		if hired.After(from) {
			from = hired
		}
		gd.BackgroundCheckOn = g.between(from, g.ref.AddDate(0, 0, -1)).Format(dateLayout)
	}

	// A guard who failed vetting is not issued a certificate (保安员证).
	if gd.BackgroundCheck != CheckFailed && g.chance(0.9) {
		gd.CertificateNumber = g.unique("cert", func() string {
			return fmt.Sprintf("420100%d%08d", g.slot, g.r.IntN(100_000_000))
		})
		issued := hired.AddDate(0, 0, g.r.IntN(120))
		if last := g.ref.AddDate(0, 0, -1); issued.After(last) {
			issued = last
		}
		gd.CertificateIssuedOn = issued.Format(dateLayout)
	}

	if g.chance(0.92) {
		gd.Trainings = append(gd.Trainings, Training{
			Type:      TrainingPreJob,
			Hours:     []float64{24, 32, 40}[g.r.IntN(3)],
			TrainedOn: hired.AddDate(0, 0, -g.r.IntN(10)).Format(dateLayout),
			Topic:     g.pick(preJobTopics),
		})
	}
	var inService []time.Time
	for range g.r.IntN(4) {
		inService = append(inService, g.between(hired.AddDate(0, 1, 0), g.ref.AddDate(0, 0, -1)))
	}
	slices.SortFunc(inService, func(a, b time.Time) int { return a.Compare(b) })
	for _, d := range inService {
		if d.After(g.ref) {
			continue // hired within the last month: no in-service training yet
		}
		gd.Trainings = append(gd.Trainings, Training{
			Type:      TrainingInService,
			Hours:     []float64{4, 6, 8, 12, 16}[g.r.IntN(5)],
			TrainedOn: d.Format(dateLayout),
			Topic:     g.pick(inServiceTopics),
		})
	}
	return gd
}

// council returns the district's seats of the 3rd council: in jingkai the
// city-wide officers of the seed report (once in the whole city), in
// jingkai and caidian their vice-president in charge, elsewhere the head
// of the district's vice_president-level company, and in every district a
// few directors (理事) who head the district's council-level companies.
func (g *generator) council(companies []Company) []CouncilMember {
	var out []CouncilMember
	seat := func(position, person, inCharge string) {
		out = append(out, CouncilMember{Term: CouncilTerm, Position: position, PersonName: person, DistrictInCharge: inCharge})
	}
	if g.district == "jingkai" {
		seat("president", "肖军", "")
		seat("secretary_general", "陈年初", "")
		seat("supervisor_chief", "曾宪雄", "")
	}
	if g.district == "jingkai" || g.district == "caidian" {
		seat("vice_president", "罗灯亮", g.district)
	}
	for _, c := range companies {
		if c.Level == LevelVicePresident {
			seat("vice_president", c.ContactName, g.district)
		}
	}
	for _, c := range companies {
		if c.Level == LevelCouncil {
			seat("director", c.ContactName, "")
		}
	}
	return out
}
