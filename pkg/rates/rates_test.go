package rates

import "testing"

func TestOf(t *testing.T) {
	tests := []struct {
		name    string
		n, d    int64
		want    float64
		nilRate bool
	}{
		{name: "A zero denominator is not reported.", n: 0, d: 0, nilRate: true},
		{name: "A negative denominator is not reported.", n: 1, d: -1, nilRate: true},
		{name: "Nothing counted over something is zero.", n: 0, d: 4, want: 0},
		{name: "Two of three is two thirds, unrounded.", n: 2, d: 3, want: 2.0 / 3},
		{name: "All of them is one.", n: 5, d: 5, want: 1},
		{name: "A numerator above the denominator is clamped to one.", n: 6, d: 5, want: 1},
		{name: "A negative numerator is clamped to zero.", n: -1, d: 5, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Of(tt.n, tt.d)
			if tt.nilRate {
				if got != nil {
					t.Fatalf("Of(%d, %d) = %v, want nil", tt.n, tt.d, *got)
				}
				return
			}
			if got == nil || *got != tt.want {
				t.Fatalf("Of(%d, %d) = %v, want %v", tt.n, tt.d, got, tt.want)
			}
		})
	}
}

func TestConventionIsSignedCurrentOverActive(t *testing.T) {
	if r := Convention(1, 4); r == nil || *r != 0.25 {
		t.Fatalf("Convention(1, 4) = %v, want 0.25", r)
	}
	if r := Convention(0, 0); r != nil {
		t.Fatalf("Convention(0, 0) = %v, want nil (no active company: not reported)", *r)
	}
}
