package providers

import "slices"

// LinkInputs returns the inputs of m whose value, given alone, changes
// the links of its console steps (an Auth0 tenant domain, say); steps is
// the provider's Steps for m. A front end asks for them before it shows
// the steps, so that each link leads into the admin's tenant rather than
// to the console's front page. Each input is tried with its Placeholder,
// the example of a good value that every input declares; a secret, or a
// value tether generates, is never one.
func LinkInputs(m Method, steps func(Inputs) []Step) []Input {
	base := stepURLs(steps(Inputs{}))
	var out []Input
	for _, in := range m.Inputs {
		if in.Secret || in.Generate != nil || in.Placeholder == "" {
			continue
		}
		if in.Validate != nil && in.Validate(in.Placeholder) != nil {
			continue
		}
		urls := stepURLs(steps(Inputs{Values: map[string]string{in.Key: in.Placeholder}}))
		if !slices.Equal(urls, base) {
			out = append(out, in)
		}
	}
	return out
}

func stepURLs(steps []Step) []string {
	urls := make([]string, len(steps))
	for i, s := range steps {
		urls[i] = s.URL
	}
	return urls
}

// StepsOf returns p's Steps for m as the function LinkInputs takes.
func StepsOf(p Provider, m Method) func(Inputs) []Step {
	return func(in Inputs) []Step { return p.Steps(m, in) }
}
