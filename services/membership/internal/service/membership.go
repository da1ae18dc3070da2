package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/idempotency"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/policy"
	"github.com/guildhall/guildhall/pkg/versioned"
)

// IDRules checks, normalises, hashes and masks identity numbers. The
// production implementation (PKGIDRules) delegates to pkg/idcheck and pkg/pii.
type IDRules interface {
	// NormalizeResidentID validates a national ID number and returns its
	// canonical form.
	NormalizeResidentID(id string) (string, error)
	// ValidateCreditCode validates a unified social credit code.
	ValidateCreditCode(code string) error
	// HashResidentID returns the city-wide HMAC of a canonical ID number.
	HashResidentID(id string) string
	// MaskResidentID hides all but the ends of an ID number.
	MaskResidentID(id string) string
}

// Sealer encrypts personal data for storage (pii.Sealer in production).
type Sealer interface {
	// Seal encrypts plaintext into a self-describing sealed string.
	Seal(plaintext string) (string, error)
	// Open decrypts a string from Seal; tampering or an unknown key fails.
	Open(sealed string) (string, error)
	// CurrentKeyID is the id of the key Seal uses; values whose
	// "<kid>:" prefix differs are re-sealed by ResealIDNumbers.
	CurrentKeyID() string
}

// IdempotencyTTL is how long an Idempotency-Key replays its first result.
const IdempotencyTTL = idempotency.TTL

// Membership implements Service for one district, and runs its background
// work (guard imports, idempotency-key expiry).
type Membership struct {
	// Log records the service's writes and lists them (ListAudit).
	audit.Log
	district   string
	repo       Repository
	ids        IDRules
	sealer     Sealer
	logger     *slog.Logger
	now        func() time.Time
	importWake chan struct{}
	// expiry reads the city-wide certificate-expiry window (expiry.go).
	expiry func() policy.CertificateExpiry
}

// Option configures a Membership.
type Option func(*Membership)

// WithClock replaces the clock (tests).
func WithClock(now func() time.Time) Option { return func(m *Membership) { m.now = now } }

// New returns the membership service of district. sealer seals the ID
// numbers (and uploaded import files) it stores.
func New(district string, repo Repository, ids IDRules, sealer Sealer, logger *slog.Logger, opts ...Option) *Membership {
	m := &Membership{
		district: district, repo: repo, ids: ids, sealer: sealer, logger: logger,
		now:        time.Now,
		importWake: make(chan struct{}, 1),
	}
	for _, o := range opts {
		o(m)
	}
	m.Log = audit.NewLog(m.now, repo)
	return m
}

var _ Service = (*Membership)(nil)

func newID() (string, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return "", fmt.Errorf("membership: new id: %w", err)
	}
	return id.String(), nil
}

// --- companies ---

// RegisterCompany implements Service.
func (s *Membership) RegisterCompany(ctx context.Context, in RegisterCompanyInput) (Company, error) {
	if err := s.validateRegister(&in); err != nil {
		return Company{}, err
	}
	return idempotent(ctx, s, "POST companies", in.IdempotencyKey, in, func(q Queries) (Company, []Change, error) {
		taken, err := q.CreditCodeTaken(ctx, in.CreditCode)
		if err != nil {
			return Company{}, nil, err
		}
		if taken {
			return Company{}, nil, ErrCompanyCreditCodeTaken
		}
		id, err := newID()
		if err != nil {
			return Company{}, nil, err
		}
		now := s.now().UTC()
		c := Company{
			ID: id, District: s.district, Name: in.Name, CreditCode: in.CreditCode,
			LicenceNumber: in.LicenceNumber, Kind: in.Kind, Level: in.Level, Status: StatusApplied,
			ContactName: strings.TrimSpace(in.ContactName), ContactPhone: strings.TrimSpace(in.ContactPhone),
			Address: strings.TrimSpace(in.Address), PartyOrg: in.PartyOrg, PartyOrgSince: in.PartyOrgSince,
			TradeUnion: in.TradeUnion, WorkersHome: in.WorkersHome,
			RegisteredAt: now, UpdatedAt: now, Version: 1,
		}
		if err := q.InsertCompany(ctx, c); err != nil {
			return Company{}, nil, err
		}
		fields := audit.SetFields("name", c.Name, "credit_code", c.CreditCode, "licence_number", c.LicenceNumber,
			"kind", c.Kind, "level", c.Level, "status", c.Status, "contact_name", c.ContactName, "contact_phone", c.ContactPhone,
			"address", c.Address, "party_org", c.PartyOrg, "party_org_since", c.PartyOrgSince, "trade_union", c.TradeUnion,
			"workers_home", c.WorkersHome)
		if err := s.Audit(ctx, q, ActionCompanyRegister, ResourceCompany, c.ID, fields); err != nil {
			return Company{}, nil, err
		}
		c.ETag = kitx.ETag(c.Version)
		return c, []Change{{Type: EventCompanyRegistered, Company: &c}}, nil
	})
}

// GetCompany implements Service.
func (s *Membership) GetCompany(ctx context.Context, id string) (Company, error) {
	c, err := s.repo.GetCompany(ctx, id)
	if err != nil {
		return Company{}, err
	}
	c.ETag = kitx.ETag(c.Version)
	return c, nil
}

// ListCompanies implements Service.
func (s *Membership) ListCompanies(ctx context.Context, f CompanyFilter, page kitx.Page) ([]Company, string, error) {
	if f.Status != "" && !ValidCompanyStatus(f.Status) {
		return nil, "", ErrCompanyStatusInvalid
	}
	if f.Kind != "" && !validKind(f.Kind) {
		return nil, "", ErrCompanyKindInvalid
	}
	if f.Level != "" && !validLevel(f.Level) {
		return nil, "", ErrCompanyLevelInvalid
	}
	items, next, err := s.repo.ListCompanies(ctx, f, page)
	if err != nil {
		return nil, "", err
	}
	for i := range items {
		items[i].ETag = kitx.ETag(items[i].Version)
	}
	return items, next, nil
}

// UpdateCompany implements Service.
func (s *Membership) UpdateCompany(ctx context.Context, id string, pre kitx.Precondition, in UpdateCompanyInput) (Company, error) {
	c, err := versioned.Update(ctx, s.repo.Tx, companies, id, pre, func(_ Queries, c *Company) (Edit, error) {
		fields, err := s.applyCompanyUpdate(c, in)
		if err != nil || len(fields) == 0 {
			// Nothing changed (or nothing may): no new version, no event.
			return Edit{}, err
		}
		return s.edit(ctx, ActionCompanyUpdate, ResourceCompany, c.ID, fields, Change{Type: EventCompanyUpdated, Company: c, Fields: fields}), nil
	})
	if err != nil {
		return Company{}, err
	}
	c.ETag = kitx.ETag(c.Version)
	return c, nil
}

// ChangeCompanyStatus implements Service.
func (s *Membership) ChangeCompanyStatus(ctx context.Context, id string, in ChangeStatusInput) (Company, error) {
	if !ValidCompanyStatus(in.Status) {
		return Company{}, ErrCompanyStatusInvalid
	}
	if err := tooLong("reason", in.Reason, 500); err != nil {
		return Company{}, err
	}
	c, err := versioned.Update(ctx, s.repo.Tx, companies, id, kitx.Precondition{}, func(_ Queries, c *Company) (Edit, error) {
		from := c.Status
		if !CanTransition(from, in.Status) {
			return Edit{}, ErrCompanyStatusIllegal.Wrap(fmt.Errorf("%s → %s", from, in.Status))
		}
		c.Status = in.Status
		return s.edit(ctx, ActionCompanyStatusChange, ResourceCompany, c.ID, []string{"status"},
			Change{Type: EventCompanyStatusChanged, Company: c, FromStatus: from, ToStatus: in.Status, Reason: in.Reason}), nil
	})
	if err != nil {
		return Company{}, err
	}
	c.ETag = kitx.ETag(c.Version)
	return c, nil
}

// --- guards ---

// HireGuard implements Service.
func (s *Membership) HireGuard(ctx context.Context, in HireGuardInput) (Guard, error) {
	if err := s.validateHire(&in); err != nil {
		return Guard{}, err
	}
	// The hash of the request must not contain the plaintext ID number
	// (it is stored); hash it with the same keyed HMAC the events use.
	hashed := in
	hashed.IDNumber = s.ids.HashResidentID(in.IDNumber)
	// The stored (replayable) result is always masked: the idempotency
	// table must not hold a number in clear. The caller's view is made
	// afterwards.
	g, err := idempotent(ctx, s, "POST companies/"+in.CompanyID+"/guards", in.IdempotencyKey, hashed, func(q Queries) (Guard, []Change, error) {
		g, err := s.hire(ctx, q, in)
		if err != nil {
			return Guard{}, nil, err
		}
		if err := s.Audit(ctx, q, ActionGuardHire, ResourceGuard, g.ID, hireFields(in)); err != nil {
			return Guard{}, nil, err
		}
		return g, []Change{{Type: EventGuardHired, Guard: &g}}, nil
	})
	if err != nil || !revealFor(ctx, g.CompanyID) {
		return g, err
	}
	return s.presentFor(ctx, g)
}

// hire inserts a validated hire inside q's transaction.
func (s *Membership) hire(ctx context.Context, q Queries, in HireGuardInput) (Guard, error) {
	c, err := q.GetCompany(ctx, in.CompanyID)
	if err != nil {
		return Guard{}, err
	}
	if !AcceptsGuards(c.Status) {
		return Guard{}, ErrCompanyNotAcceptingGuards
	}
	hash := s.ids.HashResidentID(in.IDNumber)
	active, err := q.ActiveGuardByHash(ctx, hash)
	if err != nil {
		return Guard{}, err
	}
	if active {
		// Which company employs the person is not revealed.
		return Guard{}, ErrGuardAlreadyActive
	}
	if err := s.certificateFree(ctx, q, in.CertificateNumber, ""); err != nil {
		return Guard{}, err
	}
	id, err := newID()
	if err != nil {
		return Guard{}, err
	}
	sealed, err := s.sealer.Seal(in.IDNumber)
	if err != nil {
		return Guard{}, fmt.Errorf("membership: seal id number: %w", err)
	}
	now := s.now().UTC()
	g := Guard{
		ID: id, District: s.district, CompanyID: c.ID, Name: in.Name,
		IDNumber: in.IDNumber, IDNumberSealed: sealed, IDHash: hash,
		CertificateNumber: in.CertificateNumber, CertificateIssuedOn: in.CertificateIssuedOn,
		CertificateValidUntil: in.CertificateValidUntil, CertificateAuthority: in.CertificateAuthority,
		BackgroundCheckStatus: CheckNone,
		BadgeService:          in.BadgeService, VolunteerPolice: in.VolunteerPolice, PartyMember: in.PartyMember,
		EmploymentStatus: EmploymentActive, HiredOn: in.HiredOn,
		CreatedAt: now, UpdatedAt: now, Version: 1,
	}
	if err := q.InsertGuard(ctx, g); err != nil {
		return Guard{}, err
	}
	return s.present(g)
}

// certificateFree refuses a certificate number an active guard of the
// district other than guardID already holds: one certificate is one
// person's. A guard who left keeps their number on record (history), so it
// does not block; the same number active in another district is for HQ to
// see.
func (s *Membership) certificateFree(ctx context.Context, q Queries, number, guardID string) error {
	if number == "" {
		return nil
	}
	held, err := q.CertificateHeldByActive(ctx, number, guardID)
	if err != nil {
		return err
	}
	if held {
		return ErrGuardCertificateTaken
	}
	return nil
}

// hireFields names the fields a hire sets, for the audit log.
func hireFields(in HireGuardInput) []string {
	return audit.SetFields("name", in.Name, "id_number", in.IDNumber, "certificate_number", in.CertificateNumber,
		"certificate_issued_on", in.CertificateIssuedOn, "certificate_valid_until", in.CertificateValidUntil,
		"certificate_authority", in.CertificateAuthority, "hired_on", in.HiredOn, "badge_service", in.BadgeService,
		"volunteer_police", in.VolunteerPolice, "party_member", in.PartyMember)
}

// present fills the response-only fields of a guard: the masked ID number
// (opening the sealed one unless the clear one is at hand) and the ETag. The
// clear number is dropped from what it returns, so it travels no further.
func (s *Membership) present(g Guard) (Guard, error) {
	id := g.IDNumber
	if id == "" {
		var err error
		if id, err = s.sealer.Open(g.IDNumberSealed); err != nil {
			return Guard{}, fmt.Errorf("membership: guard %s: open id number: %w", g.ID, err)
		}
	}
	g.IDNumber = ""
	g.IDNumberMasked = s.ids.MaskResidentID(id)
	g.Certified = g.CertifiedOn(today(s.now()))
	g.ETag = kitx.ETag(g.Version)
	return g, nil
}

// GetGuard implements Service.
func (s *Membership) GetGuard(ctx context.Context, id string) (Guard, error) {
	g, err := s.repo.GetGuard(ctx, id)
	if err != nil {
		return Guard{}, err
	}
	return s.presentFor(ctx, g)
}

// ListGuards implements Service.
func (s *Membership) ListGuards(ctx context.Context, f GuardFilter, page kitx.Page) ([]Guard, string, error) {
	if f.EmploymentStatus != "" && f.EmploymentStatus != EmploymentActive && f.EmploymentStatus != EmploymentLeft {
		return nil, "", ErrGuardEmploymentInvalid
	}
	if f.Certificate != "" && f.Certificate != "has" && f.Certificate != "none" {
		return nil, "", ErrGuardCertificateFilter
	}
	if f.BackgroundCheckStatus != "" && !validCheckStatus(f.BackgroundCheckStatus) {
		return nil, "", ErrBackgroundCheckStatus.WithField("background_check_status")
	}
	if f.CompanyID != "" {
		if _, err := s.repo.GetCompany(ctx, f.CompanyID); err != nil {
			return nil, "", err
		}
	}
	f.Day = today(s.now())
	items, next, err := s.repo.ListGuards(ctx, f, page)
	if err != nil {
		return nil, "", err
	}
	for i := range items {
		if items[i], err = s.presentFor(ctx, items[i]); err != nil {
			return nil, "", err
		}
	}
	return items, next, nil
}

// updateGuard changes a guard through versioned.Update: fn changes it and
// describes the change, which is stored with one audit row of action
// naming the fields fn reports (nil change: nothing written).
func (s *Membership) updateGuard(ctx context.Context, id string, pre kitx.Precondition, action string, fn func(q Queries, g *Guard) (*Change, []string, error)) (Guard, error) {
	g, err := versioned.Update(ctx, s.repo.Tx, guards, id, pre, func(q Queries, g *Guard) (Edit, error) {
		ch, fields, err := fn(q, g)
		if err != nil || ch == nil {
			return Edit{}, err
		}
		ch.Guard = g
		return s.edit(ctx, action, ResourceGuard, g.ID, fields, *ch), nil
	})
	if err != nil {
		return Guard{}, err
	}
	return s.presentFor(ctx, g)
}

// UpdateGuard implements Service.
func (s *Membership) UpdateGuard(ctx context.Context, id string, pre kitx.Precondition, in UpdateGuardInput) (Guard, error) {
	if in.Name != nil {
		n := strings.TrimSpace(*in.Name)
		if n == "" {
			return Guard{}, ErrGuardNameRequired
		}
		if len([]rune(n)) > 100 {
			return Guard{}, ErrGuardNameTooLong
		}
		if err := kitx.SingleLine("name", n); err != nil {
			return Guard{}, err
		}
		in.Name = &n
	}
	return s.updateGuard(ctx, id, pre, ActionGuardUpdate, func(_ Queries, g *Guard) (*Change, []string, error) {
		var fields []string
		if in.Name != nil && *in.Name != g.Name {
			g.Name, fields = *in.Name, append(fields, "name")
		}
		for _, b := range []struct {
			name string
			dst  *bool
			v    *bool
		}{
			{"badge_service", &g.BadgeService, in.BadgeService},
			{"volunteer_police", &g.VolunteerPolice, in.VolunteerPolice},
			{"party_member", &g.PartyMember, in.PartyMember},
		} {
			if b.v != nil && *b.dst != *b.v {
				*b.dst = *b.v
				fields = append(fields, b.name)
			}
		}
		if len(fields) == 0 {
			return nil, nil, nil
		}
		return &Change{Type: EventGuardUpdated, Fields: fields}, fields, nil
	})
}

// GuardLeaves implements Service.
func (s *Membership) GuardLeaves(ctx context.Context, id string, in LeaveInput) (Guard, error) {
	if in.LeftOn == "" {
		in.LeftOn = today(s.now())
	}
	if !pastDate(in.LeftOn, s.now()) {
		return Guard{}, ErrGuardLeftOnInvalid
	}
	return s.updateGuard(ctx, id, kitx.Precondition{}, ActionGuardLeave, func(_ Queries, g *Guard) (*Change, []string, error) {
		if g.EmploymentStatus != EmploymentActive {
			return nil, nil, ErrGuardNotActive
		}
		if in.LeftOn < g.HiredOn {
			return nil, nil, ErrGuardLeftOnInvalid
		}
		g.EmploymentStatus, g.LeftOn = EmploymentLeft, in.LeftOn
		return &Change{Type: EventGuardLeft}, []string{"employment_status", "left_on"}, nil
	})
}

// RecordTraining implements Service.
func (s *Membership) RecordTraining(ctx context.Context, guardID string, in TrainingInput) (Training, error) {
	if in.Type != TrainingPreJob && in.Type != TrainingInService {
		return Training{}, ErrTrainingTypeInvalid
	}
	if !(in.Hours > 0 && in.Hours <= 1000) || math.IsNaN(in.Hours) {
		return Training{}, ErrTrainingHoursInvalid
	}
	if !dateBetween(in.TrainedOn, earliestRecordDate, s.now()) {
		return Training{}, ErrTrainingDateInvalid
	}
	in.Topic = strings.TrimSpace(in.Topic)
	if len([]rune(in.Topic)) > 200 {
		return Training{}, ErrTrainingTopicTooLong
	}
	if err := kitx.SingleLine("topic", in.Topic); err != nil {
		return Training{}, err
	}
	return idempotent(ctx, s, "POST guards/"+guardID+"/trainings", in.IdempotencyKey, in, func(q Queries) (Training, []Change, error) {
		var t Training
		_, changes, err := versioned.In(ctx, q, guards, guardID, kitx.Precondition{}, func(q Queries, g *Guard) (Edit, error) {
			if g.EmploymentStatus != EmploymentActive {
				return Edit{}, ErrGuardNotActive
			}
			id, err := newID()
			if err != nil {
				return Edit{}, err
			}
			t = Training{ID: id, GuardID: g.ID, Type: in.Type, Hours: in.Hours, TrainedOn: in.TrainedOn, Topic: in.Topic, RecordedAt: s.now().UTC()}
			if err := q.InsertTraining(ctx, t); err != nil {
				return Edit{}, err
			}
			fields := []string{"trainings", "training_hours"}
			if t.Type == TrainingPreJob && !g.PreJobTrained {
				g.PreJobTrained = true
				fields = append(fields, "pre_job_trained")
			}
			g.TrainingHours += t.Hours
			return s.edit(ctx, ActionGuardTrainingRecord, ResourceGuard, g.ID, fields, Change{Type: EventTrainingRecorded, Guard: g, Training: &t}), nil
		})
		return t, changes, err
	})
}

// ListTrainings implements Service.
func (s *Membership) ListTrainings(ctx context.Context, guardID string) ([]Training, error) {
	if _, err := s.repo.GetGuard(ctx, guardID); err != nil {
		return nil, err
	}
	return s.repo.ListTrainings(ctx, guardID)
}

// RecordBackgroundCheck implements Service.
func (s *Membership) RecordBackgroundCheck(ctx context.Context, guardID string, in BackgroundCheckInput) (Guard, error) {
	if !validCheckResult(in.Status) {
		return Guard{}, ErrBackgroundCheckStatus
	}
	if !dateBetween(in.CheckedOn, earliestRecordDate, s.now()) {
		return Guard{}, ErrBackgroundCheckDate
	}
	return s.updateGuard(ctx, guardID, kitx.Precondition{}, ActionGuardBackgroundCheck, func(_ Queries, g *Guard) (*Change, []string, error) {
		if g.EmploymentStatus != EmploymentActive {
			return nil, nil, ErrGuardNotActive
		}
		g.BackgroundCheckStatus, g.BackgroundCheckOn = in.Status, in.CheckedOn
		return &Change{Type: EventBackgroundCheckRecorded, CheckStatus: in.Status, CheckedOn: in.CheckedOn},
			[]string{"background_check_status", "background_check_on"}, nil
	})
}

// IssueCertificate implements Service.
func (s *Membership) IssueCertificate(ctx context.Context, guardID string, in CertificateInput) (Guard, error) {
	in.CertificateNumber = strings.TrimSpace(in.CertificateNumber)
	if in.CertificateNumber == "" {
		return Guard{}, ErrCertificateNumberRequired
	}
	if len([]rune(in.CertificateNumber)) > 100 {
		return Guard{}, ErrGuardCertificateNumberLong
	}
	if err := kitx.SingleLine("certificate_number", in.CertificateNumber); err != nil {
		return Guard{}, err
	}
	if !dateBetween(in.IssuedOn, earliestRecordDate, s.now()) {
		return Guard{}, ErrCertificateIssuedOnInvalid
	}
	if in.ValidUntil != "" && !validUntil(in.ValidUntil, in.IssuedOn) {
		return Guard{}, ErrCertificateValidUntil
	}
	in.Authority = strings.TrimSpace(in.Authority)
	if len([]rune(in.Authority)) > 100 {
		return Guard{}, ErrCertificateAuthority
	}
	if err := kitx.SingleLine("authority", in.Authority); err != nil {
		return Guard{}, err
	}
	return s.updateGuard(ctx, guardID, kitx.Precondition{}, ActionGuardCertificateIssue, func(q Queries, g *Guard) (*Change, []string, error) {
		if g.EmploymentStatus != EmploymentActive {
			return nil, nil, ErrGuardNotActive
		}
		if err := s.certificateFree(ctx, q, in.CertificateNumber, g.ID); err != nil {
			return nil, nil, err
		}
		// A new certificate replaces the old one whole: an end date or
		// authority the request leaves out is cleared, and named as
		// written only when it changes.
		fields := []string{"certificate_number", "certificate_issued_on"}
		if g.CertificateValidUntil != in.ValidUntil {
			fields = append(fields, "certificate_valid_until")
		}
		if g.CertificateAuthority != in.Authority {
			fields = append(fields, "certificate_authority")
		}
		g.CertificateNumber, g.CertificateIssuedOn = in.CertificateNumber, in.IssuedOn
		g.CertificateValidUntil, g.CertificateAuthority = in.ValidUntil, in.Authority
		return &Change{Type: EventCertificateIssued, IssuedOn: in.IssuedOn}, fields, nil
	})
}

// --- council ---

// AppointCouncilMember implements Service.
func (s *Membership) AppointCouncilMember(ctx context.Context, in AppointCouncilMemberInput) (CouncilMember, error) {
	in.PersonName = strings.TrimSpace(in.PersonName)
	if err := s.validateCouncil(in.Term, in.Position, in.PersonName, in.DistrictInCharge); err != nil {
		return CouncilMember{}, err
	}
	return idempotent(ctx, s, "POST council-members", in.IdempotencyKey, in, func(q Queries) (CouncilMember, []Change, error) {
		if err := s.checkCompanyRef(ctx, q, in.CompanyID); err != nil {
			return CouncilMember{}, nil, err
		}
		id, err := newID()
		if err != nil {
			return CouncilMember{}, nil, err
		}
		now := s.now().UTC()
		m := CouncilMember{
			ID: id, District: s.district, Term: in.Term, Position: in.Position, PersonName: in.PersonName,
			CompanyID: in.CompanyID, DistrictInCharge: in.DistrictInCharge, Active: true,
			CreatedAt: now, UpdatedAt: now, Version: 1,
		}
		if err := q.InsertCouncilMember(ctx, m); err != nil {
			return CouncilMember{}, nil, err
		}
		fields := audit.SetFields("term", m.Term, "position", m.Position, "person_name", m.PersonName,
			"company_id", m.CompanyID, "district_in_charge", m.DistrictInCharge, "active", m.Active)
		if err := s.Audit(ctx, q, ActionCouncilAppoint, ResourceCouncilMember, m.ID, fields); err != nil {
			return CouncilMember{}, nil, err
		}
		m.ETag = kitx.ETag(m.Version)
		return m, []Change{{Type: EventCouncilMemberAppointed, CouncilMember: &m}}, nil
	})
}

// councilDiff names the fields that differ between two versions of a seat.
func councilDiff(a, b CouncilMember) []string {
	var out []string
	for _, f := range []struct {
		name string
		diff bool
	}{
		{"term", a.Term != b.Term}, {"position", a.Position != b.Position}, {"person_name", a.PersonName != b.PersonName},
		{"company_id", a.CompanyID != b.CompanyID}, {"district_in_charge", a.DistrictInCharge != b.DistrictInCharge},
		{"active", a.Active != b.Active},
	} {
		if f.diff {
			out = append(out, f.name)
		}
	}
	return out
}

func (s *Membership) checkCompanyRef(ctx context.Context, q Queries, id string) error {
	if id == "" {
		return nil
	}
	_, err := q.GetCompany(ctx, id)
	if errors.Is(err, ErrCompanyNotFound) {
		return ErrCouncilCompanyUnknown
	}
	return err
}

// ListCouncilMembers implements Service.
func (s *Membership) ListCouncilMembers(ctx context.Context, f CouncilFilter, page kitx.Page) ([]CouncilMember, string, error) {
	if f.Position != "" && !validPosition(f.Position) {
		return nil, "", ErrCouncilPositionInvalid
	}
	items, next, err := s.repo.ListCouncilMembers(ctx, f, page)
	if err != nil {
		return nil, "", err
	}
	for i := range items {
		items[i].ETag = kitx.ETag(items[i].Version)
	}
	return items, next, nil
}

// UpdateCouncilMember implements Service.
func (s *Membership) UpdateCouncilMember(ctx context.Context, id string, pre kitx.Precondition, in UpdateCouncilMemberInput) (CouncilMember, error) {
	m, err := versioned.Update(ctx, s.repo.Tx, councilMembers, id, pre, func(q Queries, m *CouncilMember) (Edit, error) {
		next := *m
		if in.Term != nil {
			next.Term = *in.Term
		}
		if in.Position != nil {
			next.Position = *in.Position
		}
		if in.PersonName != nil {
			next.PersonName = strings.TrimSpace(*in.PersonName)
		}
		if in.CompanyID != nil {
			next.CompanyID = *in.CompanyID
		}
		if in.DistrictInCharge != nil {
			next.DistrictInCharge = *in.DistrictInCharge
		}
		if in.Active != nil {
			next.Active = *in.Active
		}
		if err := s.validateCouncil(next.Term, next.Position, next.PersonName, next.DistrictInCharge); err != nil {
			return Edit{}, err
		}
		if next.CompanyID != m.CompanyID {
			if err := s.checkCompanyRef(ctx, q, next.CompanyID); err != nil {
				return Edit{}, err
			}
		}
		if next == *m {
			return Edit{}, nil
		}
		fields := councilDiff(*m, next)
		*m = next
		return s.edit(ctx, ActionCouncilUpdate, ResourceCouncilMember, m.ID, fields, Change{Type: EventCouncilMemberUpdated, CouncilMember: m}), nil
	})
	if err != nil {
		return CouncilMember{}, err
	}
	m.ETag = kitx.ETag(m.Version)
	return m, nil
}

// --- idempotency ---

// idempotent runs a create once per (scope, key) through pkg/idempotency:
// the first result is stored with the key in the create's transaction and
// replayed for the same request within IdempotencyTTL; the same key with a
// different request is refused.
func idempotent[T any](ctx context.Context, s *Membership, scope, key string, in any, create func(q Queries) (T, []Change, error)) (T, error) {
	req := idempotency.Request{Scope: scope, Key: key, In: in, Now: s.now}
	return idempotency.Do(ctx, s.repo, s.repo.Tx, req, create, nil)
}

// ExpireIdempotencyKeys deletes keys older than IdempotencyTTL.
func (s *Membership) ExpireIdempotencyKeys(ctx context.Context) (int64, error) {
	return s.repo.ExpireIdempotency(ctx, s.now().Add(-IdempotencyTTL))
}
